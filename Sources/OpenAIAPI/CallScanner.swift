import JSON

/// Reads one tool-call object (`{"name": "f", "arguments": {…}}`) a character at a time as
/// the model writes it, so a stream can report the function's name as soon as it is whole
/// and the arguments' raw JSON text piece by piece. Only the object's top level is
/// interpreted: `name`, and `arguments` (or Llama's `parameters`); other keys are skipped.
struct CallScanner {
    enum Step {
        /// The character was taken.
        case more
        /// The object closed with this character.
        case done
        /// The text is not a call object.
        case failed
    }

    private enum Phase { case start, beforeKey, key, colon, beforeValue, value, afterValue }

    private var phase = Phase.start
    /// The current key's or value's raw text (a key with its quotes).
    private var raw = ""
    private var key = ""
    /// Open brackets inside the current value; whether in one of its strings, after a backslash.
    private var depth = 0, inString = false, escaped = false
    /// The function's name once its string closed.
    private(set) var name: String?
    /// The arguments' raw JSON text so far (nil until their value starts).
    private(set) var arguments: String?
    /// Whether the object has closed.
    private(set) var isClosed = false

    /// Takes the next character of the object.
    mutating func push(_ c: Character) -> Step {
        switch phase {
        case .start:
            if c.isWhitespace { return .more }
            guard c == "{" else { return .failed }
            phase = .beforeKey
        case .beforeKey:
            if c.isWhitespace { return .more }
            guard c == "\"" else { return .failed }
            raw = "\""
            phase = .key
        case .key:
            raw.append(c)
            if stringCloses(c) {
                guard let k = try? JSONParser.parse(Array(raw.utf8)).stringValue else { return .failed }
                key = k
                phase = .colon
            }
        case .colon:
            if c.isWhitespace { return .more }
            guard c == ":" else { return .failed }
            phase = .beforeValue
        case .beforeValue:
            if c.isWhitespace { return .more }
            raw = ""
            phase = .value
            return value(c)
        case .value:
            return value(c)
        case .afterValue:
            if c.isWhitespace { return .more }
            guard c != "}" else {
                isClosed = name != nil
                return isClosed ? .done : .failed
            }
            guard c == "," else { return .failed }
            phase = .beforeKey
        }
        return .more
    }

    /// Whether `key` names the arguments.
    private var isArguments: Bool { key == "arguments" || key == "parameters" }

    /// A character of the current value: kept, and the value ended when it closes.
    private mutating func value(_ c: Character) -> Step {
        let first = raw.isEmpty
        if depth == 0 && !inString && !first && (c == "," || c == "}" || c.isWhitespace) {
            // A number, true, false or null ends at the character after it.
            endValue()
            phase = .afterValue
            return push(c)
        }
        raw.append(c)
        if isArguments { arguments = raw }
        var closed = false
        if inString {
            closed = stringCloses(c) && depth == 0
        } else if c == "\"" {
            inString = true
        } else if c == "{" || c == "[" {
            depth += 1
        } else if c == "}" || c == "]" {
            guard depth > 0 else { return .failed }
            depth -= 1
            closed = depth == 0
        }
        if closed {
            endValue()
            phase = .afterValue
        }
        return .more
    }

    /// Whether `c` (inside a string) closes it, tracking backslash escapes.
    private mutating func stringCloses(_ c: Character) -> Bool {
        if escaped {
            escaped = false
        } else if c == "\\" {
            escaped = true
        } else if c == "\"" {
            inString = false
            return true
        }
        return false
    }

    private mutating func endValue() {
        if key == "name" { name = (try? JSONParser.parse(Array(raw.utf8)))?.stringValue }
        raw = ""
        depth = 0
        inString = false
        escaped = false
    }
}
