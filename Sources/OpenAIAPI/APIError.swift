import HTTP
import JSON

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

    var response: HTTPResponse {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        if status == 401 { headers.append(("WWW-Authenticate", "Bearer")) }
        return HTTPResponse(status: status, headers: headers, body: Array(json.serialized.utf8))
    }
}
