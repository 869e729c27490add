/// A token inside `{{ … }}` or `{% … %}`.
enum TemplateToken: Equatable {
    case name(String)
    case string(String)
    case int(Int)
    case double(Double)
    case op(String)
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
    private let s: [UInt8]
    private var i = 0
    private var line = 1
    let trimBlocks: Bool
    let lstripBlocks: Bool

    init(_ source: String, trimBlocks: Bool = true, lstripBlocks: Bool = true) {
        s = Array(source.utf8)
        self.trimBlocks = trimBlocks
        self.lstripBlocks = lstripBlocks
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }

    mutating func segments() throws -> [TemplateSegment] {
        var out: [TemplateSegment] = []
        var text: [UInt8] = []
        var afterTag = 0  // where the current text began in the source
        while i < s.count {
            guard s[i] == UInt8(ascii: "{"), i + 1 < s.count,
                  s[i + 1] == UInt8(ascii: "{") || s[i + 1] == UInt8(ascii: "%") || s[i + 1] == UInt8(ascii: "#") else {
                if s[i] == 10 { line += 1 }
                text.append(s[i])
                i += 1
                continue
            }
            let kind = s[i + 1]
            let startLine = line
            i += 2
            var modifier: UInt8 = 0
            if i < s.count, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") { modifier = s[i]; i += 1 }
            if modifier == UInt8(ascii: "-") {
                while let last = text.last, Self.isSpace(last) { text.removeLast() }
            } else if lstripBlocks && kind != UInt8(ascii: "{") && modifier != UInt8(ascii: "+") {
                var j = text.count
                while j > 0, text[j - 1] == 32 || text[j - 1] == 9 { j -= 1 }
                if j == 0 ? afterTag == 0 || s[afterTag - 1] == 10 : text[j - 1] == 10 { text.removeSubrange(j...) }
            }
            if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))); text = [] }
            let rightStrip: Bool
            if kind == UInt8(ascii: "#") {
                rightStrip = try skipComment()
            } else {
                let closer = kind == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "%")
                let (tokens, strip) = try tokens(until: closer)
                rightStrip = strip
                if kind == UInt8(ascii: "{") { out.append(.output(tokens, line: startLine)) } else { out.append(.statement(tokens, line: startLine)) }
                if kind == UInt8(ascii: "%"), tokens == [.name("raw")] { try rawBlock(into: &text) }
            }
            if rightStrip {
                while i < s.count, Self.isSpace(s[i]) { if s[i] == 10 { line += 1 }; i += 1 }
            } else if trimBlocks && kind != UInt8(ascii: "{") {
                if i < s.count, s[i] == 10 { i += 1; line += 1 } else if i + 1 < s.count, s[i] == 13, s[i + 1] == 10 { i += 2; line += 1 }
            }
            afterTag = i
        }
        if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))) }
        return out
    }

    private mutating func skipComment() throws -> Bool {
        while i + 1 < s.count {
            if s[i] == UInt8(ascii: "#"), s[i + 1] == UInt8(ascii: "}") {
                let strip = s[i - 1] == UInt8(ascii: "-")
                i += 2
                return strip
            }
            if s[i] == 10 { line += 1 }
            i += 1
        }
        throw TemplateError.syntax("unterminated comment", line: line)
    }

    /// `{% raw %}…{% endraw %}`: the content is literal text.
    private mutating func rawBlock(into text: inout [UInt8]) throws {
        let start = i
        while i + 1 < s.count {
            if s[i] == UInt8(ascii: "{"), s[i + 1] == UInt8(ascii: "%") {
                let save = i
                i += 2
                if i < s.count, s[i] == UInt8(ascii: "-") { i += 1 }
                if let (t, _) = try? tokens(until: UInt8(ascii: "%")), t == [.name("endraw")] {
                    text.append(contentsOf: s[start ..< save])
                    return
                }
                i = save
            }
            i += 1
        }
        throw TemplateError.syntax("unterminated raw block", line: line)
    }

    /// Tokens up to the closing `}}` or `%}`; returns them and whether the closer had `-`.
    private mutating func tokens(until closer: UInt8) throws -> ([TemplateToken], Bool) {
        var out: [TemplateToken] = []
        while true {
            while i < s.count, Self.isSpace(s[i]) { if s[i] == 10 { line += 1 }; i += 1 }
            guard i < s.count else { throw TemplateError.syntax("unterminated tag", line: line) }
            let c = s[i]
            // Closers, with optional whitespace-control marks.
            if (c == UInt8(ascii: "-") || c == UInt8(ascii: "+")), i + 2 < s.count, s[i + 1] == closer, s[i + 2] == UInt8(ascii: "}") {
                i += 3
                return (out, c == UInt8(ascii: "-"))
            }
            if c == closer, i + 1 < s.count, s[i + 1] == UInt8(ascii: "}") {
                i += 2
                return (out, false)
            }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                out.append(.string(try stringLiteral(quote: c)))
            } else if c >= 48 && c <= 57 {
                let start = i
                while i < s.count, (s[i] >= 48 && s[i] <= 57) || s[i] == UInt8(ascii: "_") { i += 1 }
                var isFloat = false
                if i + 1 < s.count, s[i] == UInt8(ascii: "."), s[i + 1] >= 48 && s[i + 1] <= 57 {
                    isFloat = true
                    i += 1
                    while i < s.count, s[i] >= 48 && s[i] <= 57 { i += 1 }
                }
                let text = String(decoding: s[start ..< i], as: UTF8.self).replacingOccurrences(of: "_", with: "")
                if isFloat { out.append(.double(Double(text) ?? 0)) } else {
                    guard let v = Int(text) else { throw TemplateError.syntax("number too large", line: line) }
                    out.append(.int(v))
                }
            } else if c == UInt8(ascii: "_") || (c | 0x20 >= 97 && c | 0x20 <= 122) {
                let start = i
                while i < s.count, s[i] == UInt8(ascii: "_") || (s[i] | 0x20 >= 97 && s[i] | 0x20 <= 122) || (s[i] >= 48 && s[i] <= 57) { i += 1 }
                out.append(.name(String(decoding: s[start ..< i], as: UTF8.self)))
            } else {
                let two = i + 1 < s.count ? String(decoding: s[i ... i + 1], as: UTF8.self) : ""
                if ["==", "!=", "<=", ">=", "//", "**"].contains(two) {
                    out.append(.op(two))
                    i += 2
                } else if Array("+-*/%~<>=()[]{},.:|".utf8).contains(c) {
                    out.append(.op(String(UnicodeScalar(c))))
                    i += 1
                } else {
                    throw TemplateError.syntax("unexpected character '\(String(UnicodeScalar(c)))'", line: line)
                }
            }
        }
    }

    private mutating func stringLiteral(quote: UInt8) throws -> String {
        i += 1
        var out: [UInt8] = []
        while i < s.count {
            let c = s[i]
            if c == quote { i += 1; return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\"), i + 1 < s.count {
                i += 1
                switch s[i] {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "\\"): out.append(92)
                case UInt8(ascii: "'"): out.append(39)
                case UInt8(ascii: "\""): out.append(34)
                case 10: line += 1
                default: out.append(92); out.append(s[i])
                }
                i += 1
                continue
            }
            if c == 10 { line += 1 }
            out.append(c)
            i += 1
        }
        throw TemplateError.syntax("unterminated string", line: line)
    }
}
