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

    /// The bytes on the wire; `close` adds `Connection: close`. The answer to a HEAD request
    /// (`headOnly`) says the length its GET's body would have and sends no body (RFC 9110 §9.3.2).
    public func serialized(close: Bool, headOnly: Bool = false) -> [UInt8] {
        let framing = "Content-Length: \(body.count)\r\n" + (close ? "Connection: close\r\n" : "")
        return HTTPResponse.head(status: status, headers: headers, framing: framing) + (headOnly ? [] : body)
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

    /// The reason phrase of the status line.
    public static func reason(_ status: Int) -> String { reasons[status] ?? "Status" }

    private static let reasons = [
        100: "Continue", 200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
        405: "Method Not Allowed", 408: "Request Timeout", 411: "Length Required", 413: "Payload Too Large",
        415: "Unsupported Media Type", 417: "Expectation Failed", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
        500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable", 505: "HTTP Version Not Supported",
    ]
}
