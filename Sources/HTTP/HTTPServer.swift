import Foundation

/// An HTTP/1.1 server on POSIX sockets: one accept thread, one thread per connection
/// (handlers run synchronously on it and may block waiting on their work). Knows nothing
/// of what the routes mean.
public final class HTTPServer: @unchecked Sendable {
    public let config: HTTPServerConfig
    private let router: Router
    /// Called once per answered request: request, status, body bytes sent, seconds.
    private let accessLog: @Sendable (HTTPRequest, Int, Int, Double) -> Void
    private var listenFD: Int32 = -1
    /// Tells handlers that asked (`HTTPResponder.onPeerClosed`) when their client hangs up.
    private let hangups = HangupWatcher()
    /// Closes the connections the server ends itself, after their clients read the last response.
    private let closer = LingeringCloser()
    private let lock = NSCondition()
    private var connections: ConnectionTable
    private var busyConnections = 0
    private var stopping = false

    public init(config: HTTPServerConfig, router: Router,
                accessLog: @escaping @Sendable (HTTPRequest, Int, Int, Double) -> Void = { _, _, _, _ in }) {
        self.config = config
        self.router = router
        connections = ConnectionTable(capacity: config.maxConnections, perAddress: config.maxConnectionsPerAddress,
                                      capLoopback: config.capLoopbackConnections)
        self.accessLog = accessLog
    }

    /// Binds and starts accepting; returns the bound port (useful with port 0).
    @discardableResult
    public func start() throws -> Int {
        signal(SIGPIPE, SIG_IGN)
        listenFD = try Socket.listen(host: config.host, port: config.port)
        try hangups.start()
        closer.start()
        let port = Socket.boundPort(listenFD)
        let t = Thread { [self] in acceptLoop() }
        t.name = "tern-accept"
        t.start()
        return port
    }

    /// Drains, then stops: every response from now on closes its connection and idle
    /// keep-alive connections are closed, but the listener stays open (so health checks get
    /// the app's answer, e.g. 503 "draining") until no request is in flight or `deadline`
    /// seconds have passed; then it closes, `abortInFlight` is called for what is still
    /// running, and connections get a brief grace to close.
    public func stop(deadline: Double, abortInFlight: () -> Void) {
        lock.withLock { stopping = true }
        let until = Date().addingTimeInterval(deadline)
        lock.lock()
        while busyConnections > 0 && lock.wait(until: until) {}
        lock.unlock()
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        if lock.withLock({ busyConnections }) > 0 {
            abortInFlight()
            lock.lock()
            let grace = Date().addingTimeInterval(2)
            while busyConnections > 0 && lock.wait(until: grace) {}
            lock.unlock()
        }
        hangups.stop()
        closer.stop()
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    /// Open connections, and those of them answering a request.
    public var connectionCounts: (open: Int, busy: Int) { lock.withLock { (connections.count, connections.busyCount) } }

    private func acceptLoop() {
        while true {
            let (fd, address) = Socket.accept(listenFD)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if isStopping { return }
                if errno == EMFILE || errno == ENFILE { usleep(10_000); continue }
                return
            }
            lock.lock()
            // Draining keeps admitting: a new connection gets its request read and the app's answer.
            var admitted: (id: Int, evicted: Int32?)?
            var refusal = ConnectionTable.Refusal.full
            do { admitted = try connections.admit(fd, address: address, now: Self.now) } catch { refusal = error }
            // A connection still receiving its request (or idle) made room: shutting it down wakes its thread.
            if let evicted = admitted?.evicted { _ = shutdown(evicted, Int32(SHUT_RDWR)) }
            lock.unlock()
            guard let id = admitted?.id else {
                var r = router.errorResponse(503, refusal == .addressFull ? "too many open connections from this address" : "too many open connections")
                r.headers.append(("Retry-After", "1"))
                try? Socket.write(fd, r.serialized(close: true))
                closer.close(fd)
                continue
            }
            let t = Thread { [self] in
                // Connection threads yield to compute: on a small machine a preempted compute
                // thread stalls a whole parallel step, while parsing and writing can wait a little.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, config.connectionNice)  // who 0: this thread (Linux)
                let linger = serve(fd, id: id)
                lock.withLock { connections.remove(fd, id: id) }
                if linger { closer.close(fd) } else { close(fd) }
            }
            t.stackSize = 1 << 20
            t.start()
        }
    }

    private static var now: Double { ProcessInfo.processInfo.systemUptime }

    /// One connection: read, parse, answer, until close, error, timeout, eviction or shutdown.
    /// Returns whether the server ends it with bytes possibly still coming (close by lingering).
    private func serve(_ fd: Int32, id: Int) -> Bool {
        Socket.setSendTimeout(fd, seconds: config.sendTimeout)
        var parser = HTTPParser(limits: config.limits)
        var deadline = RequestDeadline(headerTimeout: config.headerTimeout, bodyTimeout: config.bodyTimeout, bodyMinRate: config.bodyMinRate)
        var answered = 0
        while true {
            switch parser.next() {
            case .request(let request):
                deadline.reset()
                guard lock.withLock({ connections.markBusy(fd, id: id) }) else { return false }  // evicted
                lock.withLock { busyConnections += 1 }
                let keepAlive = answer(request, fd: fd)
                answered += 1
                lock.lock()
                busyConnections -= 1
                connections.markWaiting(fd, id: id, now: Self.now)
                lock.broadcast()
                lock.unlock()
                if !keepAlive || isStopping { return true }
                continue
            case .expectContinue:
                guard (try? Socket.write(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))) != nil else { return false }
                continue
            case .error(let e):
                try? Socket.write(fd, router.errorResponse(e.status, e.description).serialized(close: true))
                return true
            case .needMore:
                break
            }
            if parser.isReadingBody { deadline.headComplete(at: Self.now) }
            // Wait for bytes in short slices so shutdown and timeouts are noticed.
            // Draining: idle keep-alive connections close; a new one still gets its request read.
            let idleSince = Self.now
            while true {
                if isStopping && parser.isIdle && answered > 0 { return false }
                let now = Self.now
                if let until = deadline.deadline, now >= until {
                    try? Socket.write(fd, router.errorResponse(408, "request not received in time").serialized(close: true))
                    return true
                }
                if parser.isIdle && now - idleSince > config.keepAliveTimeout { return false }
                let slice = Int32(min(200, max(1, ((deadline.deadline ?? .infinity) - now) * 1000)).rounded(.up))
                if Socket.waitReadable(fd, ms: slice) { break }
            }
            guard let bytes = Socket.read(fd) else { return false }
            deadline.received(bytes.count, at: Self.now, readingBody: parser.isReadingBody)
            parser.feed(bytes)
        }
    }

    /// Runs the handler; returns whether the connection may be reused.
    private func answer(_ request: HTTPRequest, fd: Int32) -> Bool {
        let t0 = Date()
        var request = request
        request.resolveRequestID()
        let responder = HTTPResponder(fd: fd, request: request, closeAfter: { [keepAlive = request.keepAlive] in !keepAlive || self.isStopping }, hangups: hangups)
        router.handle(request, responder)
        hangups.unwatch(fd)
        responder.seal()
        if !responder.hasResponded {
            if responder.isPeerClosed { responder.abandon() } else { responder.send(router.errorResponse(500, "the handler sent no response")) }
        }
        responder.finish()
        accessLog(request, responder.status, responder.bytesSent, Date().timeIntervalSince(t0))
        return !responder.mustClose
    }
}
