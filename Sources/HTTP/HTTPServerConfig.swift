/// Where an `HTTPServer` listens and the limits and timeouts it enforces.
public struct HTTPServerConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var limits = HTTPLimits()
    /// Open connections; when full, the one waiting longest without a whole request is closed to admit a new one.
    public var maxConnections = 256
    /// Open connections one client address may hold (0: no cap); at the cap, its own oldest
    /// connection without a whole request makes room, else it gets 503.
    public var maxConnectionsPerAddress = 64
    /// Whether that cap applies to loopback clients (127.0.0.0/8): off, as a proxy on the same
    /// host brings every client from there.
    public var capLoopbackConnections = false
    /// A request's head must arrive within this many seconds of its first byte.
    public var headerTimeout = 10.0
    /// Its body within this many seconds of the head…
    public var bodyTimeout = 20.0
    /// …plus one second per this many body bytes received (0: no extension).
    public var bodyMinRate = 500.0
    /// An idle keep-alive connection is closed after this many seconds.
    public var keepAliveTimeout = 5.0
    /// A blocked write gives up after this many seconds.
    public var sendTimeout = 30
    /// Nice value of connection threads (0: same as the process).
    public var connectionNice: Int32 = 5

    public init() {}
}
