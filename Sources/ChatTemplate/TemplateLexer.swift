/// A token inside `{{ … }}` or `{% … %}`.
enum TemplateToken: Equatable {
    case name(String)
    case string(String)
    case int(Int)
    case double(Double)
    case op(String)

    /// An operator's or a name's text.
    var word: String? {
        switch self {
        case .op(let w), .name(let w): return w
        default: return nil
        }
    }
}

/// The template split into literal text and tags, with Jinja's whitespace control applied:
/// `-` on a tag strips whitespace on that side; `trim_blocks` drops the first newline after
/// a block or comment tag; `lstrip_blocks` drops spaces and tabs before a block or comment
/// tag that starts its line (the settings Hugging Face renders chat templates with).
enum TemplateSegment {
    case text(String)
    case output([TemplateToken], line: Int)
    case statement([TemplateToken], line: Int)
}

struct TemplateLexer {
    /// The bytes of tag delimiters (named: a brace inside a literal would read as a block).
    private static let openBrace: UInt8 = 0x7B, closeBrace: UInt8 = 0x7D, percent = UInt8(ascii: "%"), hash = UInt8(ascii: "#")
    /// What follows a backslash in a string literal, and the byte it stands for.
    private static let escapes: [UInt8: UInt8] = [
        UInt8(ascii: "n"): 10, UInt8(ascii: "t"): 9, UInt8(ascii: "r"): 13, UInt8(ascii: "\\"): 92, UInt8(ascii: "'"): 39, UInt8(ascii: "\""): 34,
    ]

    /// The operators, the two-byte ones first.
    private static let operators = ["==", "!=", "<=", ">=", "//", "**"] + "+-*/%~<>=()[]{},.:|".map(String.init)

    private let s: [UInt8]
    private var i = 0

    init(_ source: String) { s = Array(source.utf8) }

    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }
    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    static func isNameByte(_ b: UInt8) -> Bool { b == UInt8(ascii: "_") || (b | 0x20 >= 97 && b | 0x20 <= 122) || isDigit(b) }

    mutating func segments() throws -> [TemplateSegment] {
        var out: [TemplateSegment] = []
        var text: [UInt8] = []
        var afterTag = 0  // where the current text began in the source
        var line = 1, counted = 0  // the line of byte `counted`
        while i < s.count {
            guard s[i] == Self.openBrace, i + 1 < s.count, [Self.openBrace, Self.percent, Self.hash].contains(s[i + 1]) else {
                text.append(s[i])
                i += 1
                continue
            }
            let kind = s[i + 1]
            line += s[counted ..< i].lazy.filter { $0 == 10 }.count
            counted = i
            i += 2
            stripBefore(tag: kind, &text, afterTag: afterTag)
            if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))); text = [] }
            var rightStrip = false
            if kind == Self.hash {
                rightStrip = try skipComment()
            } else {
                let tokens: [TemplateToken]
                (tokens, rightStrip) = try self.tokens(until: kind == Self.openBrace ? Self.closeBrace : Self.percent)
                if kind == Self.percent, tokens == [.name("raw")] {
                    try rawBlock(into: &text)
                } else {
                    out.append(kind == Self.openBrace ? .output(tokens, line: line) : .statement(tokens, line: line))
                }
            }
            // `-` strips all whitespace after the tag; otherwise `trim_blocks` drops the newline after a block or comment.
            if rightStrip {
                while i < s.count, Self.isSpace(s[i]) { i += 1 }
            } else if kind != Self.openBrace {
                if i < s.count, s[i] == 10 { i += 1 } else if i + 1 < s.count, s[i] == 13, s[i + 1] == 10 { i += 2 }
            }
            afterTag = i
        }
        if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))) }
        return out
    }

    /// Whitespace control before a tag (at its optional `-` or `+`): `-` strips all whitespace;
    /// otherwise `lstrip_blocks` strips the spaces and tabs before a block or comment on its own line.
    private mutating func stripBefore(tag kind: UInt8, _ text: inout [UInt8], afterTag: Int) {
        var modifier: UInt8 = 0
        if i < s.count, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") { modifier = s[i]; i += 1 }
        if modifier == UInt8(ascii: "-") {
            while let last = text.last, Self.isSpace(last) { text.removeLast() }
        } else if kind != Self.openBrace && modifier != UInt8(ascii: "+") {
            var j = text.count
            while j > 0, text[j - 1] == 32 || text[j - 1] == 9 { j -= 1 }
            if j == 0 ? afterTag == 0 || s[afterTag - 1] == 10 : text[j - 1] == 10 { text.removeSubrange(j...) }
        }
    }

    /// A syntax error at byte `i`, with its line number.
    private func error(_ message: String) -> TemplateError {
        .syntax(message, line: s[..<min(i, s.count)].lazy.filter { $0 == 10 }.count + 1)
    }

    /// Skips a comment through its `#}`; returns whether the closer had `-`.
    private mutating func skipComment() throws -> Bool {
        guard let end = s[i...].firstRange(of: [Self.hash, Self.closeBrace]) else { throw error("unterminated comment") }
        i = end.upperBound
        return s[end.lowerBound - 1] == UInt8(ascii: "-")
    }

    /// `{% raw %}…{% endraw %}`: the content is literal text.
    private mutating func rawBlock(into text: inout [UInt8]) throws {
        let start = i
        while let open = s[i...].firstRange(of: [Self.openBrace, Self.percent]) {
            i = open.upperBound
            if i < s.count, s[i] == UInt8(ascii: "-") { i += 1 }
            if let (t, _) = try? tokens(until: Self.percent), t == [.name("endraw")] {
                text.append(contentsOf: s[start ..< open.lowerBound])
                return
            }
            i = open.upperBound
        }
        i = s.count - 1
        throw error("unterminated raw block")
    }

    /// Tokens up to the closing `}}` or `%}`; returns them and whether the closer had `-`.
    private mutating func tokens(until closer: UInt8) throws -> ([TemplateToken], Bool) {
        var out: [TemplateToken] = []
        while true {
            while i < s.count, Self.isSpace(s[i]) { i += 1 }
            guard i < s.count else { throw error("unterminated tag") }
            let c = s[i]
            // The closer, after an optional whitespace-control mark.
            let mark = c == UInt8(ascii: "-") || c == UInt8(ascii: "+") ? 1 : 0
            if i + mark + 1 < s.count, s[i + mark] == closer, s[i + mark + 1] == Self.closeBrace {
                i += mark + 2
                return (out, c == UInt8(ascii: "-"))
            }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                out.append(.string(try stringLiteral(quote: c)))
            } else if Self.isDigit(c) {
                out.append(try number())
            } else if Self.isNameByte(c) {
                let start = i
                while i < s.count, Self.isNameByte(s[i]) { i += 1 }
                out.append(.name(String(decoding: s[start ..< i], as: UTF8.self)))
            } else {
                guard let op = Self.operators.first(where: { s[i...].starts(with: $0.utf8) }) else {
                    throw error("unexpected character '\(String(UnicodeScalar(c)))'")
                }
                out.append(.op(op))
                i += op.utf8.count
            }
        }
    }

    /// An integer or float literal (`_` separates digits).
    private mutating func number() throws -> TemplateToken {
        let start = i
        while i < s.count, Self.isDigit(s[i]) || s[i] == UInt8(ascii: "_") { i += 1 }
        var isFloat = false
        if i + 1 < s.count, s[i] == UInt8(ascii: "."), Self.isDigit(s[i + 1]) {
            isFloat = true
            i += 1
            while i < s.count, Self.isDigit(s[i]) { i += 1 }
        }
        let text = String(decoding: s[start ..< i], as: UTF8.self).replacingOccurrences(of: "_", with: "")
        if isFloat { return .double(Double(text) ?? 0) }
        guard let v = Int(text) else { throw error("number too large") }
        return .int(v)
    }

    private mutating func stringLiteral(quote: UInt8) throws -> String {
        i += 1
        var out: [UInt8] = []
        while i < s.count {
            let c = s[i]
            if c == quote { i += 1; return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\"), i + 1 < s.count {
                i += 1
                if let e = Self.escapes[s[i]] { out.append(e) } else if s[i] != 10 { out.append(contentsOf: [92, s[i]]) }
                i += 1
                continue
            }
            out.append(c)
            i += 1
        }
        throw error("unterminated string")
    }
}
