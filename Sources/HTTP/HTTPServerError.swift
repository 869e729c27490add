/// Why the server could not start, or why a response could not be sent.
public enum HTTPServerError: Error, CustomStringConvertible {
    case socket(String)
    case peerClosed
    case responseAlreadySent

    public var description: String {
        switch self {
        case .socket(let s): return s
        case .peerClosed: return "the client closed the connection"
        case .responseAlreadySent: return "a response was already sent for this request"
        }
    }
}
