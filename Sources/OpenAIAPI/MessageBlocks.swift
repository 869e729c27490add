import JSON

/// One Messages answer's content blocks as the output arrives (`OutputBlocks`): `text`
/// blocks, and with tools `tool_use` blocks. Each change becomes the stream events Anthropic
/// sends (`content_block_start`, `_delta`, `_stop`), and the blocks are kept whole for the
/// non-streamed answer.
struct MessageBlocks {
    private enum Block { case text(String), toolUse(id: String, name: String, arguments: String) }

    private var output: OutputBlocks
    private var blocks: [Block] = []

    /// Calls begun so far.
    var calls: Int { output.calls }

    init(calls format: ToolFormat?) { output = OutputBlocks(calls: format) }

    /// The events that open the answer (a text block at once when no calls can come).
    mutating func opening() -> [JSON] { events(output.opening()) }

    /// The events `text`, the next piece of output, completes; `finished` at the output's end.
    mutating func take(_ text: String, finished: Bool) -> [JSON] { events(output.take(text, finished: finished)) }

    private mutating func events(_ changes: [OutputBlocks.Change]) -> [JSON] {
        changes.map { change in
            let index = JSON.int(blocks.count - 1)
            switch change {
            case .startText:
                blocks.append(.text(""))
                return start(.object([("type", .string("text")), ("text", .string(""))]))
            case .startCall(let id, let name):
                blocks.append(.toolUse(id: id, name: name, arguments: ""))
                return start(.object([("type", .string("tool_use")), ("id", .string(id)), ("name", .string(name)), ("input", .object([]))]))
            case .text(let s):
                if case .text(let t) = blocks[blocks.count - 1] { blocks[blocks.count - 1] = .text(t + s) }
                return delta([("type", .string("text_delta")), ("text", .string(s))])
            case .arguments(let piece):
                if case .toolUse(let id, let name, let arguments) = blocks[blocks.count - 1] {
                    blocks[blocks.count - 1] = .toolUse(id: id, name: name, arguments: arguments + piece)
                }
                return delta([("type", .string("input_json_delta")), ("partial_json", .string(piece))])
            case .stop:
                return .object([("type", .string("content_block_stop")), ("index", index)])
            }
        }
    }

    /// The whole answer's `content`: each block as the non-streamed message shows it.
    var content: [JSON] {
        blocks.map { block in
            switch block {
            case .text(let t): return .object([("type", .string("text")), ("text", .string(t))])
            case .toolUse(let id, let name, let arguments):
                // Arguments cut off by max_tokens do not parse: they are given as the text they are.
                let input = arguments.isEmpty ? JSON.object([]) : (try? JSONParser.parse(Array(arguments.utf8))) ?? .string(arguments)
                return .object([("type", .string("tool_use")), ("id", .string(id)), ("name", .string(name)), ("input", input)])
            }
        }
    }

    private func start(_ block: JSON) -> JSON {
        .object([("type", .string("content_block_start")), ("index", .int(blocks.count - 1)), ("content_block", block)])
    }

    private func delta(_ body: [(String, JSON)]) -> JSON {
        .object([("type", .string("content_block_delta")), ("index", .int(blocks.count - 1)), ("delta", .object(body))])
    }
}
