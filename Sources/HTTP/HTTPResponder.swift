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
    private var writeFailed = false
    /// The connection must close after this response (`closeAfter`, or a write failed).
    var mustClose: Bool { writeFailed || closeAfter() }

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

    /// True once the client has gone away (never blocks).
    public var isPeerClosed: Bool { Socket.peerClosed(fd) }

    /// Calls `handler` once, from another thread, if the client hangs up (end of stream,
    /// reset or error; bytes of a pipelined request are not a hang-up) before this
    /// request's handler returns. Registering again replaces the handler.
    public func onPeerClosed(_ handler: @escaping @Sendable () -> Void) {
        hangups.watch(fd, handler)
    }

    public func send(_ response: HTTPResponse) {
        guard !hasResponded else { return }
        status = response.status
        finished = true
        var response = response
        response.headers += echoedHeaders
        do { try Socket.write(fd, response.serialized(close: mustClose)); bytesSent += response.body.count } catch { writeFailed = true }
    }

    /// Sends the head of a streamed response; the body follows with `write` and ends with `finish`.
    public func startStream(status: Int, headers: [(name: String, value: String)]) throws {
        guard !hasResponded else { throw HTTPServerError.responseAlreadySent }
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
