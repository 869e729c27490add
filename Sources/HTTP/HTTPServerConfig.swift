/// Where an `HTTPServer` listens and the limits and timeouts it enforces.
public struct HTTPServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var limits = HTTPLimits()
    public var maxConnections = 256
    /// A request's head and body must arrive within this many seconds of its first byte.
    public var requestTimeout = 30.0
    /// An idle keep-alive connection is closed after this many seconds.
    public var keepAliveTimeout = 5.0
    /// A blocked write gives up after this many seconds.
    public var sendTimeout = 30
    /// Nice value of connection threads (0: same as the process).
    public var connectionNice: Int32 = 5

    public init() {}
}
