/// When a request still arriving must be complete, counted from its first byte (like Apache's
/// mod_reqtimeout): the head within `headerTimeout`; then the body within `bodyTimeout` more,
/// extended by one second per `bodyMinRate` body bytes received. A client that drips bytes
/// cannot push the deadline out by staying busy. Times are seconds on any monotonic clock.
public struct RequestDeadline {
    public let headerTimeout: Double
    public let bodyTimeout: Double
    public let bodyMinRate: Double
    private var firstByte: Double? = nil
    private var headDone: Double? = nil
    private var bodyBytes = 0

    public init(headerTimeout: Double, bodyTimeout: Double, bodyMinRate: Double) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.bodyMinRate = bodyMinRate
    }

    /// `count` bytes arrived at `now`; `readingBody`: the parser had the whole head before them.
    public mutating func received(_ count: Int, at now: Double, readingBody: Bool) {
        if firstByte == nil { firstByte = now }
        if readingBody {
            if headDone == nil { headDone = now }
            bodyBytes += count
        }
    }

    /// The parser finished the head at `now` (bytes after it in the same read are not counted).
    public mutating func headComplete(at now: Double) {
        if headDone == nil { headDone = now }
    }

    /// The request was delivered: the next one starts with its own first byte.
    public mutating func reset() { self = RequestDeadline(headerTimeout: headerTimeout, bodyTimeout: bodyTimeout, bodyMinRate: bodyMinRate) }

    /// When the request in progress times out; nil before its first byte.
    public var deadline: Double? {
        if let headDone { return headDone + bodyTimeout + (bodyMinRate > 0 ? Double(bodyBytes) / bodyMinRate : 0) }
        return firstByte.map { $0 + headerTimeout }
    }
}
