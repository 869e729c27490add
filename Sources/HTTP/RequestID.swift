/// `X-Request-Id`: a request can be followed through proxies and logs by one id. A client's
/// (or proxy's) id is kept when it is 1–128 visible ASCII characters; otherwise the server
/// makes one (32 hex digits). The response echoes it and the access log shows it.
extension HTTPRequest {
    public static let requestIDHeader = "X-Request-Id"

    /// The id this request is known by (set once the server has accepted it).
    public var requestID: String? { header(Self.requestIDHeader) }

    /// Keeps a valid given id; replaces a missing or malformed one with a fresh id.
    mutating func resolveRequestID() {
        if let given = requestID, Self.isValidRequestID(given) { return }
        let lower = Self.requestIDHeader.lowercased()
        headers.removeAll { $0.name.lowercased() == lower }
        headers.append((Self.requestIDHeader, Self.newRequestID()))
    }

    static func isValidRequestID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        return (1 ... 128).contains(bytes.count) && bytes.allSatisfy { (0x21 ... 0x7E).contains($0) }
    }

    static func newRequestID() -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []  // (32,) hex digits
        for _ in 0 ..< 2 {
            var v = UInt64.random(in: .min ... .max)
            for _ in 0 ..< 16 { out.append(hex[Int(v & 15)]); v >>= 4 }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
