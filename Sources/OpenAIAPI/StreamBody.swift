import HTTP

extension SSEWriter {
    /// Runs the body of a started stream: an API error after the stream began goes out as
    /// `data: {"error":…}`; a client that left ends it silently; otherwise `data: [DONE]`
    /// always closes it. Write failures (the client is gone) end it without more writes.
    func run(_ body: () throws -> Void) {
        do {
            try body()
        } catch let e as APIError {
            try? send(e.json.serialized)
        } catch is ClientGone {
            return
        } catch {
            if responder.isPeerClosed { return }
            try? send(APIError(status: 500, message: "\(error)", type: "server_error").json.serialized)
        }
        try? done()
    }
}
