import JSON

/// One chat choice's output when tools may be called, in OpenAI's shapes: streamed, each
/// `ToolEvent` as a chunk's `delta` (`content`, or `tool_calls` with the call's index, id,
/// type and name first, then its arguments in pieces); whole, the message with `content`
/// (null when only calls came) and `tool_calls`. A finish of "stop" after calls is "tool_calls".
struct ToolCallStream {
    private var parser: ToolCallParser
    /// Logprob entries sent, and reported by the deltas so far (held with text that may open a call).
    private var logprobsSent = 0, logprobsSeen = 0

    init(format: ToolFormat) { parser = ToolCallParser(format: format) }

    /// Sends the chunks `delta` completes: `send(body, finishReason, logprobs range)`.
    mutating func take(_ delta: ChoiceDelta, send: ([(String, JSON)], String?, Range<Int>) throws -> Void) throws {
        var events = parser.push(delta.text)
        if delta.finishReason != nil { events += parser.finish() }
        if !delta.logprobs.isEmpty { logprobsSeen = delta.logprobs.upperBound }
        for e in events { try send([("delta", Self.delta(e))], nil, unsentLogprobs()) }
        if let reason = delta.finishReason {
            try send([("delta", .object([]))], parser.callCount > 0 && reason == "stop" ? "tool_calls" : reason, unsentLogprobs())
        }
    }

    /// The logprob entries not sent yet, now counted as sent.
    private mutating func unsentLogprobs() -> Range<Int> {
        defer { logprobsSent = logprobsSeen }
        return logprobsSent ..< logprobsSeen
    }

    /// A chunk's `delta` for one event.
    static func delta(_ e: ToolEvent) -> JSON {
        switch e {
        case .content(let s): return .object([("content", .string(s))])
        case .begin(let index, let id, let name):
            return .object([("tool_calls", .array([.object([
                ("index", .int(index)), ("id", .string(id)), ("type", .string("function")),
                ("function", .object([("name", .string(name)), ("arguments", .string(""))])),
            ])]))])
        case .arguments(let index, let piece):
            return .object([("tool_calls", .array([.object([("index", .int(index)), ("function", .object([("arguments", .string(piece))]))])]))])
        }
    }

    /// The whole message of `text`; `reason` becomes "tool_calls" when calls came and it was "stop".
    static func message(_ text: String, format: ToolFormat, reason: inout String) -> [(String, JSON)] {
        var parser = ToolCallParser(format: format)
        var content = ""
        var calls: [(id: String, name: String, arguments: String)] = []
        for e in parser.push(text) + parser.finish() {
            switch e {
            case .content(let s): content += s
            case .begin(_, let id, let name): calls.append((id, name, ""))
            case .arguments(let i, let piece): calls[i].arguments += piece
            }
        }
        guard !calls.isEmpty else { return [("role", .string("assistant")), ("content", .string(content))] }
        if reason == "stop" { reason = "tool_calls" }
        let list: [JSON] = calls.map { c in
            .object([("id", .string(c.id)), ("type", .string("function")),
                     ("function", .object([("name", .string(c.name)), ("arguments", .string(c.arguments))]))])
        }
        let text: JSON = content.allSatisfy(\.isWhitespace) ? .null : .string(content)
        return [("role", .string("assistant")), ("content", text), ("tool_calls", .array(list))]
    }
}
