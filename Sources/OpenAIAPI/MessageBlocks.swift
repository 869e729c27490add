import JSON

/// One Messages answer's content blocks as the output arrives: `text` blocks, and with tools
/// `tool_use` blocks read by the chat path's `ToolCallParser`. Each piece of output becomes
/// the stream events Anthropic sends (`content_block_start`, `_delta`, `_stop`), and the
/// blocks are kept whole for the non-streamed answer. Without tools the text block opens at
/// once; with tools, whitespace is held until it is clear whether text or a call follows.
struct MessageBlocks {
    private enum Block { case text(String), toolUse(id: String, name: String, arguments: String) }

    private var parser: ToolCallParser?
    private var blocks: [Block] = []
    /// Whether the last block is still open.
    private var open = false
    private var heldSpace = ""
    private(set) var calls = 0

    init(calls format: ToolFormat?) { parser = format.map { ToolCallParser(format: $0) } }

    /// The events that open the answer (a text block at once when no calls can come).
    mutating func opening() -> [JSON] { parser == nil ? start(.text("")) : [] }

    /// The events `text`, the next piece of output, completes; `finished` at the output's end.
    mutating func take(_ text: String, finished: Bool) -> [JSON] {
        var events: [JSON] = []
        var pieces = parser?.push(text) ?? [.content(text)]
        if finished { pieces += parser?.finish() ?? [] }
        for piece in pieces {
            switch piece {
            case .content(let s):
                guard !s.isEmpty else { continue }
                if open, case .text(let t) = blocks[blocks.count - 1] {
                    blocks[blocks.count - 1] = .text(t + s)
                    events.append(delta([("type", .string("text_delta")), ("text", .string(s))]))
                    continue
                }
                if (heldSpace + s).allSatisfy(\.isWhitespace) { heldSpace += s; continue }
                events += stop() + start(.text(heldSpace + s))
                events.append(delta([("type", .string("text_delta")), ("text", .string(heldSpace + s))]))
                heldSpace = ""
            case .begin(_, let id, let name):
                heldSpace = ""
                calls += 1
                events += stop() + start(.toolUse(id: id, name: name, arguments: ""))
            case .arguments(_, let piece):
                guard open, case .toolUse(let id, let name, let arguments) = blocks[blocks.count - 1] else { continue }
                blocks[blocks.count - 1] = .toolUse(id: id, name: name, arguments: arguments + piece)
                events.append(delta([("type", .string("input_json_delta")), ("partial_json", .string(piece))]))
            }
        }
        if finished {
            events += stop()
            if blocks.isEmpty { events += start(.text("")) + stop() }
        }
        return events
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

    private mutating func start(_ block: Block) -> [JSON] {
        blocks.append(block)
        open = true
        let shown: JSON = switch block {
        case .text: .object([("type", .string("text")), ("text", .string(""))])
        case .toolUse(let id, let name, _):
            .object([("type", .string("tool_use")), ("id", .string(id)), ("name", .string(name)), ("input", .object([]))])
        }
        return [.object([("type", .string("content_block_start")), ("index", .int(blocks.count - 1)), ("content_block", shown)])]
    }

    private mutating func stop() -> [JSON] {
        guard open else { return [] }
        open = false
        return [.object([("type", .string("content_block_stop")), ("index", .int(blocks.count - 1))])]
    }

    private func delta(_ body: [(String, JSON)]) -> JSON {
        .object([("type", .string("content_block_delta")), ("index", .int(blocks.count - 1)), ("delta", .object(body))])
    }
}
