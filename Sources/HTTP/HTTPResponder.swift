import Foundation

/// How a handler answers one request: either one whole response, or a streamed body
/// (chunked transfer encoding) written piece by piece. Used from the connection's thread.
public final class HTTPResponder: @unchecked Sendable {
    private let fd: Int32
    private let hangups: HangupWatcher
    let request: HTTPRequest
    private(set) var status = 0
    private(set) var bytesSent = 0
    private(set) var finished = false
    private(set) var streaming = false
    /// Asked when the head goes out and at the end: whether the connection closes after this
    /// response (the client asked, or the server started draining meanwhile).
    private let closeAfter: () -> Bool
    /// A write failed, or the client left before its answer (`abandon`).
    private var writeFailed = false
    /// The connection must close after this response (`closeAfter`, or a write failed).
    var mustClose: Bool { writeFailed || closeAfter() }
    /// Guards `sealed` against the hang-up watcher's probe, which writes from its own thread.
    private let probeLock = NSLock()
    /// Set before the first byte of the response is written: no interim response may follow.
    private var sealed = false

    init(fd: Int32, request: HTTPRequest, closeAfter: @escaping () -> Bool, hangups: HangupWatcher) {
        self.fd = fd
        self.hangups = hangups
        self.request = request
        self.closeAfter = closeAfter
    }

    /// Headers added to whatever response is sent (e.g. CORS).
    public var extraHeaders: [(name: String, value: String)] = []

    public var hasResponded: Bool { status != 0 }

    /// `extraHeaders` plus the request's id, echoed.
    private var echoedHeaders: [(name: String, value: String)] {
        extraHeaders + (request.requestID.map { [(HTTPRequest.requestIDHeader, $0)] } ?? [])
    }

    /// True once the client is gone: its connection was reset or failed (never blocks). A
    /// client that only shut down its write side is still there to read the answer.
    public var isPeerClosed: Bool { Socket.peerGone(fd) }

    /// Calls `handler` once, from another thread, if the client goes away before this
    /// request's handler returns. Bytes of a pipelined request are not a hang-up, nor is end
    /// of stream alone (a half-closed client may read): on end of stream before the response
    /// began, an HTTP/1.1 client is sent an interim `100 Continue` (which every HTTP/1.1
    /// client must accept), and a client that closed its socket answers that with a reset.
    /// HTTP/1.0 has no interim responses: there end of stream counts as gone.
    /// Registering again replaces the handler.
    public func onPeerClosed(_ handler: @escaping @Sendable () -> Void) {
        hangups.watch(fd, onGone: handler, onReadClosed: { [self] in probe() })
    }

    /// The client left while its answer was being made: nothing is sent, the connection
    /// closes, and the access log shows 499 (nginx's "client closed request").
    public func abandon() {
        guard !hasResponded else { return }
        seal()
        status = 499
        finished = true
        writeFailed = true
    }

    /// Ends interim responses: called before the response's first byte and when the handler returns.
    func seal() { probeLock.withLock { sealed = true } }

    /// Probes a client that sent end of stream; false if it cannot be probed (HTTP/1.0 allows no
    /// interim response), and then end of stream is taken for a client that left.
    private func probe() -> Bool {
        probeLock.withLock {
            guard !sealed else { return true }
            guard request.version == "HTTP/1.1" else { return false }
            _ = Socket.writeNow(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            return true
        }
    }

    public func send(_ response: HTTPResponse) {
        guard !hasResponded else { return }
        seal()
        status = response.status
        finished = true
        var response = response
        response.headers += echoedHeaders
        let headOnly = request.method == "HEAD"
        do {
            try Socket.write(fd, response.serialized(close: mustClose, headOnly: headOnly))
            if !headOnly { bytesSent += response.body.count }
        } catch { writeFailed = true }
    }

    /// Sends the head of a streamed response; the body follows with `write` and ends with `finish`.
    public func startStream(status: Int, headers: [(name: String, value: String)]) throws {
        guard !hasResponded else { throw HTTPServerError.responseAlreadySent }
        seal()
        self.status = status
        streaming = true
        var h = headers + echoedHeaders
        if mustClose { h.append(("Connection", "close")) }
        try guarded { try Socket.write(fd, HTTPResponse.streamingHead(status: status, headers: h)) }
    }

    /// Writes one piece of a streamed body as one chunk.
    public func write(_ bytes: [UInt8]) throws {
        guard streaming, !finished, !bytes.isEmpty else { return }
        let head = Array((String(bytes.count, radix: 16) + "\r\n").utf8)
        try guarded { try Socket.write(fd, head + bytes + [13, 10]) }
        bytesSent += bytes.count
    }

    /// Ends a streamed body.
    public func finish() {
        guard streaming, !finished else { return }
        finished = true
        try? guarded { try Socket.write(fd, Array("0\r\n\r\n".utf8)) }
    }

    private func guarded(_ body: () throws -> Void) throws {
        do { try body() } catch { writeFailed = true; finished = true; throw error }
    }
}
