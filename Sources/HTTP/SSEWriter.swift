/// Server-sent events over a streamed response: `data: <payload>\n\n` per event,
/// `data: [DONE]` to end.
public struct SSEWriter {
    public let responder: HTTPResponder

    public init(responder: HTTPResponder) { self.responder = responder }

    public func open() throws {
        try responder.startStream(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
    }

    /// One event; `payload` must not contain a newline (compact JSON never does).
    public func send(_ payload: String) throws {
        try responder.write(Array(("data: " + payload + "\n\n").utf8))
    }

    /// One named event (`event: <name>`), as Anthropic's Messages API streams them.
    public func send(event: String, _ payload: String) throws {
        try responder.write(Array(("event: " + event + "\ndata: " + payload + "\n\n").utf8))
    }

    /// Ends the stream without OpenAI's `[DONE]`.
    public func close() { responder.finish() }

    public func done() throws {
        try send("[DONE]")
        responder.finish()
    }
}
