/// A complete response: status, header fields and body. `Content-Length` is added on write.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, contentType: String, body: String, headers: [(name: String, value: String)] = []) {
        self.init(status: status, headers: [("Content-Type", contentType)] + headers, body: Array(body.utf8))
    }

    /// The bytes on the wire; `close` adds `Connection: close`.
    public func serialized(close: Bool) -> [UInt8] {
        let framing = "Content-Length: \(body.count)\r\n" + (close ? "Connection: close\r\n" : "")
        return HTTPResponse.head(status: status, headers: headers, framing: framing) + body
    }

    /// The head of a response whose body follows in chunks of unknown total length.
    static func streamingHead(status: Int, headers: [(name: String, value: String)]) -> [UInt8] {
        head(status: status, headers: headers, framing: "Transfer-Encoding: chunked\r\n")
    }

    /// Status line, `headers`, then `framing` (the header lines that say where the body ends).
    private static func head(status: Int, headers: [(name: String, value: String)], framing: String) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(reason(status))\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        return Array((head + framing + "\r\n").utf8)
    }

    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status"
        }
    }
}
