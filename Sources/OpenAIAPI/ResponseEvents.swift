import Foundation
import JSON

/// One Responses answer's output items as the output arrives (`OutputBlocks`): `message`
/// items with one `output_text` part, and with tools `function_call` items. Each change
/// becomes the stream events OpenAI sends (`response.output_item.added`,
/// `response.content_part.added`, `response.output_text.delta`, …,
/// `response.function_call_arguments.delta`/`.done`, `response.output_item.done`), numbered
/// by `sequence_number` together with the lifecycle events the route asks for; the items
/// are kept whole for the response object.
struct ResponseEvents {
    private struct Item {
        let id: String
        /// nil for a message; a call's id and function name.
        let call: (id: String, name: String)?
        /// The message's text or the call's arguments.
        var text = ""
        var status = "in_progress"
    }

    private var blocks: OutputBlocks
    private var items: [Item] = []
    private var sequence = 0

    init(calls format: ToolFormat?) { blocks = OutputBlocks(calls: format) }

    /// An event of `type` with the next sequence number.
    mutating func event(_ type: String, _ body: [(String, JSON)]) -> JSON {
        defer { sequence += 1 }
        return .object([("type", .string(type))] + body + [("sequence_number", .int(sequence))])
    }

    /// The events that open the output (a message at once when no calls can come).
    mutating func opening() -> [JSON] { events(blocks.opening(), status: "completed") }

    /// The events `text`, the next piece of output, completes; `finish` (the finish reason)
    /// at the output's end: items still open then are `incomplete` when cut by the length limit.
    mutating func take(_ text: String, finish: String?) -> [JSON] {
        events(blocks.take(text, finished: finish != nil), status: finish == "length" ? "incomplete" : "completed")
    }

    /// The output items as the response object shows them.
    var output: [JSON] { items.map(Self.json) }

    /// The messages' text, joined.
    var text: String { items.filter { $0.call == nil }.map(\.text).joined() }

    /// The calls made: call id, function name, arguments.
    var calls: [(id: String, name: String, arguments: String)] {
        items.compactMap { item in item.call.map { ($0.id, $0.name, item.text) } }
    }

    private mutating func events(_ changes: [OutputBlocks.Change], status: String) -> [JSON] {
        changes.flatMap { change -> [JSON] in
            switch change {
            case .startText:
                items.append(Item(id: Self.newID("msg"), call: nil))
                return [added(), event("response.content_part.added", at + [("content_index", .int(0)), ("part", Self.part(""))])]
            case .startCall(let id, let name):
                items.append(Item(id: Self.newID("fc"), call: (id, name)))
                return [added()]
            case .text(let s):
                items[items.count - 1].text += s
                return [event("response.output_text.delta", at + [("content_index", .int(0)), ("delta", .string(s)), ("logprobs", .array([]))])]
            case .arguments(let piece):
                items[items.count - 1].text += piece
                return [event("response.function_call_arguments.delta", at + [("delta", .string(piece))])]
            case .stop:
                items[items.count - 1].status = status
                let item = items[items.count - 1]
                if let call = item.call {
                    return [event("response.function_call_arguments.done", at + [("arguments", .string(item.text)), ("name", .string(call.name))]),
                            event("response.output_item.done", [("output_index", .int(items.count - 1)), ("item", Self.json(item))])]
                }
                let text = at + [("content_index", .int(0))]
                return [event("response.output_text.done", text + [("text", .string(item.text)), ("logprobs", .array([]))]),
                        event("response.content_part.done", text + [("part", Self.part(item.text))]),
                        event("response.output_item.done", [("output_index", .int(items.count - 1)), ("item", Self.json(item))])]
            }
        }
    }

    /// The fields naming the last item: its id and output index.
    private var at: [(String, JSON)] { [("item_id", .string(items.last?.id ?? "")), ("output_index", .int(items.count - 1))] }

    private mutating func added() -> JSON {
        event("response.output_item.added", [("output_index", .int(items.count - 1)), ("item", Self.json(items[items.count - 1]))])
    }

    private static func part(_ text: String) -> JSON {
        .object([("type", .string("output_text")), ("annotations", .array([])), ("logprobs", .array([])), ("text", .string(text))])
    }

    private static func json(_ item: Item) -> JSON {
        guard let call = item.call else {
            let content: [JSON] = item.status == "in_progress" ? [] : [part(item.text)]
            return .object([("id", .string(item.id)), ("type", .string("message")), ("status", .string(item.status)),
                            ("content", .array(content)), ("role", .string("assistant"))])
        }
        return .object([("id", .string(item.id)), ("type", .string("function_call")), ("status", .string(item.status)),
                        ("arguments", .string(item.text)), ("call_id", .string(call.id)), ("name", .string(call.name))])
    }

    /// A new id: `prefix`, an underscore and 48 hex digits (OpenAI's `resp_…`, `msg_…`, `fc_…`).
    static func newID(_ prefix: String) -> String {
        prefix + "_" + (0 ..< 6).map { _ in String(format: "%08x", UInt32.random(in: 0 ... .max)) }.joined()
    }
}
