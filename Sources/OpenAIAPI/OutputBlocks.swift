/// One answer's output as a sequence of blocks while it arrives: text, and with tools the
/// calls `ToolCallParser` reads from it. Without tools a text block opens at once; with
/// tools, whitespace is held until it is clear whether text or a call follows. An answer
/// with no output at all still gets one (empty) text block. Each API shapes the changes as
/// its own events (`MessageBlocks`, `ResponseEvents`).
struct OutputBlocks {
    enum Change: Equatable {
        case startText
        case startCall(id: String, name: String)
        /// More of the open text block.
        case text(String)
        /// More of the open call's arguments (raw JSON text).
        case arguments(String)
        /// The open block ends.
        case stop
    }

    private var parser: ToolCallParser?
    /// The open block, if any: whether it is text.
    private var open: Bool?
    private var started = false
    private var heldSpace = ""
    /// Calls begun so far.
    private(set) var calls = 0

    init(calls format: ToolFormat?) { parser = format.map { ToolCallParser(format: $0) } }

    /// The changes that open the answer (a text block at once when no calls can come).
    mutating func opening() -> [Change] { parser == nil ? start(.startText) : [] }

    /// The changes `text`, the next piece of output, makes; `finished` at the output's end.
    mutating func take(_ text: String, finished: Bool) -> [Change] {
        var changes: [Change] = []
        var pieces = parser?.push(text) ?? [.content(text)]
        if finished { pieces += parser?.finish() ?? [] }
        for piece in pieces {
            switch piece {
            case .content(let s):
                guard !s.isEmpty else { continue }
                if open == true { changes.append(.text(s)); continue }
                if (heldSpace + s).allSatisfy(\.isWhitespace) { heldSpace += s; continue }
                changes += stop() + start(.startText) + [.text(heldSpace + s)]
                heldSpace = ""
            case .begin(_, let id, let name):
                heldSpace = ""
                calls += 1
                changes += stop() + start(.startCall(id: id, name: name))
            case .arguments(_, let piece):
                if open == false { changes.append(.arguments(piece)) }
            }
        }
        if finished {
            changes += stop()
            if !started { changes += start(.startText) + stop() }
        }
        return changes
    }

    /// Opens a block (`startText` or `startCall`).
    private mutating func start(_ block: Change) -> [Change] {
        open = block == .startText
        started = true
        return [block]
    }

    private mutating func stop() -> [Change] {
        guard open != nil else { return [] }
        open = nil
        return [.stop]
    }
}
