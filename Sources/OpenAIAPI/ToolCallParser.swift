/// What `ToolCallParser` finds in a model's output, in order.
enum ToolEvent: Equatable {
    /// Text for the message's `content`.
    case content(String)
    /// A call starts: its index among the choice's calls, id and function name.
    case begin(index: Int, id: String, name: String)
    /// The next piece of a call's arguments (raw JSON text).
    case arguments(index: Int, String)
}

/// Splits a model's output into text and tool calls in its family's syntax, as the text
/// arrives: text that may begin a call opening is held back until it is clear, a call's name
/// is reported once whole and its arguments piece by piece. Text that turns out not to be a
/// well-formed call is given back as content. The same parser serves streamed and whole answers.
struct ToolCallParser {
    let format: ToolFormat

    private enum State { case text, beforeArray, beforeObject, object, afterObject, closing(Int) }

    private var state = State.text
    /// Text mode: whitespace at a boundary and a possible start of the opening, not yet reported.
    private var held = ""
    /// At the output's start, or just after a block of calls: whitespace is held.
    private var atBoundary = true
    private var atStart = true
    /// The block's text since its last whole call (content again if the block turns out malformed).
    private var raw = ""
    private var scanner = CallScanner()
    /// Whether the current call's `begin` went out, and how many UTF-8 bytes of its arguments.
    private var begun = false, sentArguments = 0
    /// Calls begun so far.
    private(set) var callCount = 0
    private var events: [ToolEvent] = []

    init(format: ToolFormat) { self.format = format }

    /// The events `text` (the next piece of output) completes.
    mutating func push(_ text: String) -> [ToolEvent] {
        for c in text { take(c) }
        reportCall()
        return takeEvents()
    }

    /// At the output's end: held text, or a call left unfinished (cut by the length limit):
    /// it stays if it had begun, else its text is content.
    mutating func finish() -> [ToolEvent] {
        switch state {
        case .text:
            if !(atBoundary && callCount > 0) { emit(held) }
        default:
            reportCall()
            if !begun { emit(raw) }
        }
        held = ""
        raw = ""
        state = .text
        return takeEvents()
    }

    private mutating func takeEvents() -> [ToolEvent] {
        defer { events = [] }
        return events
    }

    private mutating func emit(_ s: some StringProtocol) {
        guard !s.isEmpty else { return }
        if case .content(let previous)? = events.last {
            events[events.count - 1] = .content(previous + s)
        } else {
            events.append(.content(String(s)))
        }
    }

    private mutating func take(_ c: Character) {
        guard case .text = state else {
            raw.append(c)
            return block(c)
        }
        if atBoundary {
            if c.isWhitespace { return held.append(c) }
            atBoundary = false
            if atStart, c == format.leadingOpen {
                atStart = false
                held = ""
                raw = String(c)
                return format.family == .mistral ? (state = .beforeObject) : startObject(c)
            }
            if callCount > 0 { held = "" }
        }
        atStart = false
        held.append(c)
        if held.hasSuffix(format.opening) {
            emit(held.dropLast(format.opening.count))
            held = ""
            raw = format.opening
            state = format.family == .mistral ? .beforeArray : .beforeObject
            return
        }
        var keep = min(held.count, format.opening.count - 1)
        while keep > 0 && !format.opening.hasPrefix(held.suffix(keep)) { keep -= 1 }
        emit(held.dropLast(keep))
        held = String(held.suffix(keep))
    }

    /// A character inside a block of calls.
    private mutating func block(_ c: Character) {
        switch state {
        case .text: return
        case .beforeArray:
            if c.isWhitespace { return }
            c == "[" ? (state = .beforeObject) : fail()
        case .beforeObject:
            if c.isWhitespace { return }
            c == "{" ? startObject(c) : fail()
        case .object:
            switch scanner.push(c) {
            case .more: return
            case .failed: fail()
            case .done:
                reportCall()
                begun = false
                raw = ""
                state = .afterObject
            }
        case .afterObject:
            afterObject(c)
        case .closing(let n):
            let closing = Array(format.closing)
            guard n < closing.count, c == closing[n] else { return fail() }
            if n + 1 == closing.count { endBlock() } else { state = .closing(n + 1) }
        }
    }

    /// After a whole call object: the family's closing, separator, or end of block.
    private mutating func afterObject(_ c: Character) {
        switch format.family {
        case .hermes, .generic:
            if c.isWhitespace { return }
            c == format.closing.first ? (state = .closing(1)) : fail()
        case .mistral:
            if c.isWhitespace { return }
            if c == "," { state = .beforeObject } else if c == "]" { endBlock() } else { fail() }
        case .llama3:
            if c.isWhitespace || c == ";" { return }
            if c == "{" { return startObject(c) }
            // Text after the call: content again.
            raw = ""
            state = .text
            atBoundary = false
            take(c)
        }
    }

    private mutating func startObject(_ c: Character) {
        scanner = CallScanner()
        _ = scanner.push(c)
        state = .object
    }

    private mutating func endBlock() {
        state = .text
        raw = ""
        atBoundary = true
    }

    /// Not a call after all: the block's text since its last whole call is content.
    private mutating func fail() {
        state = .text
        atBoundary = false
        begun = false
        emit(raw)
        raw = ""
    }

    /// Reports the current call's name once known, then any new argument text.
    private mutating func reportCall() {
        guard case .object = state else { return }
        if !begun, let name = scanner.name {
            begun = true
            sentArguments = 0
            callCount += 1
            events.append(.begin(index: callCount - 1, id: format.newCallID(), name: name))
        }
        guard begun else { return }
        let args = scanner.arguments ?? (scanner.isClosed ? "{}" : "")
        if args.utf8.count > sentArguments {
            events.append(.arguments(index: callCount - 1, String(decoding: args.utf8.dropFirst(sentArguments), as: UTF8.self)))
            sentArguments = args.utf8.count
        }
    }
}
