import HTTP
import JSON

/// Which API's error shape a route answers in.
enum ErrorShape { case openAI, anthropic }

/// An error in OpenAI's shape: `{"error":{"message","type","param","code"}}` with its status.
struct APIError: Error, CustomStringConvertible {
    var status: Int
    var message: String
    var type: String
    var param: String? = nil
    var code: String? = nil
    var retryAfter: Int? = nil

    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code)
    }

    /// The error for a bare HTTP status (parse errors, unknown routes, server limits).
    static func http(_ status: Int, _ message: String) -> APIError {
        switch status {
        case 401: return APIError(status: 401, message: message, type: "authentication_error", code: "invalid_api_key")
        case 404: return APIError(status: 404, message: message, type: "invalid_request_error", code: "not_found")
        case 429: return APIError(status: 429, message: message, type: "rate_limit_error", retryAfter: 1)
        case 503: return APIError(status: 503, message: message, type: "server_error", retryAfter: 1)
        case 500...: return APIError(status: status, message: message, type: "server_error")
        default: return APIError(status: status, message: message, type: "invalid_request_error")
        }
    }

    /// A 500 for an error no route turned into an `APIError`: its message if its type
    /// wrote one for people (`CustomStringConvertible`), never a bare type name.
    static func server(_ error: Error) -> APIError {
        if let e = error as? APIError { return e }
        // The metatype test: a value cast would always succeed (errors bridge to NSError, whose
        // description names the type).
        let text = Swift.type(of: error) is any CustomStringConvertible.Type ? String(describing: error) : ""
        return APIError(status: 500, message: text.isEmpty ? "internal server error" : text, type: "server_error")
    }

    var description: String { message }

    var json: JSON {
        .object([("error", .object([
            ("message", .string(message)), ("type", .string(type)),
            ("param", param.map { .string($0) } ?? .null), ("code", code.map { .string($0) } ?? .null),
        ]))])
    }

    /// The error as Anthropic's Messages API shapes it: `{"type":"error","error":{"type","message"}}`,
    /// the type named by the status.
    var anthropicJSON: JSON {
        let kind = switch status {
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 503, 529: "overloaded_error"
        case 500...: "api_error"
        default: "invalid_request_error"
        }
        return .object([("type", .string("error")), ("error", .object([("type", .string(kind)), ("message", .string(message))]))])
    }

    /// The response in the shape of the API the route belongs to.
    func response(_ shape: ErrorShape) -> HTTPResponse {
        var r = response
        if shape == .anthropic { r.body = Array(anthropicJSON.serialized.utf8) }
        return r
    }

    var response: HTTPResponse {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        if status == 401 { headers.append(("WWW-Authenticate", "Bearer")) }
        return HTTPResponse(status: status, headers: headers, body: Array(json.serialized.utf8))
    }
}
