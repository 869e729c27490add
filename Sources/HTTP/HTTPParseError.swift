/// Why bytes from a client are not an acceptable HTTP/1.1 request, with the status to answer.
public enum HTTPParseError: Error, Equatable, CustomStringConvertible {
    case badRequestLine
    case unsupportedVersion(String)
    case badHeader
    case headersTooLarge(limit: Int)
    case tooManyHeaders(limit: Int)
    case badContentLength
    case conflictingLength
    case unsupportedTransferEncoding(String)
    case bodyTooLarge(limit: Int)
    case badChunk
    case unsupportedExpectation(String)

    public var status: Int {
        switch self {
        case .unsupportedVersion: return 505
        case .headersTooLarge, .tooManyHeaders: return 431
        case .bodyTooLarge: return 413
        case .unsupportedTransferEncoding: return 501
        case .unsupportedExpectation: return 417
        default: return 400
        }
    }

    public var description: String {
        switch self {
        case .badRequestLine: return "malformed request line"
        case .unsupportedVersion(let v): return "unsupported HTTP version \(v)"
        case .badHeader: return "malformed header field"
        case .headersTooLarge(let n): return "request head larger than \(n) bytes"
        case .tooManyHeaders(let n): return "more than \(n) header fields"
        case .badContentLength: return "invalid Content-Length"
        case .conflictingLength: return "conflicting message length (several Content-Length values, or Content-Length with Transfer-Encoding)"
        case .unsupportedTransferEncoding(let te): return "unsupported Transfer-Encoding \(te)"
        case .bodyTooLarge(let n): return "request body larger than \(n) bytes"
        case .badChunk: return "malformed chunked body"
        case .unsupportedExpectation(let e): return "unsupported Expect: \(e)"
        }
    }
}
