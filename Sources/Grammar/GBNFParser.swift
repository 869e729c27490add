/// Parses llama.cpp's GBNF: `name ::= alternatives` rules (a rule runs until the next
/// `name ::=`), `|` alternation, `( )` grouping, `* + ? {m} {m,} {m,n}`, `"literals"` and
/// `[classes]` (ranges, `^` negation) with escapes (`\n \r \t \\ \" \xHH \uHHHH \UHHHHHHHH`),
/// `.` for any character, `#` comments. Errors carry 1-based line and column.
struct GBNFParser {
    let s: [Unicode.Scalar]
    var i = 0
    private var rules = RuleSet()
    private var ids: [String: Int] = [:]

    static func parse(_ text: String, root: String) throws -> (rules: RuleSet, root: Int) {
        var p = GBNFParser(s: Array(text.unicodeScalars))
        p.skipSpace()
        guard p.i < p.s.count else { throw p.error("empty grammar") }
        while p.i < p.s.count {
            let start = p.i
            let name = p.name()
            guard !name.isEmpty else { throw p.error("expected a rule name") }
            p.skipSpace()
            guard p.eat("::=") else { throw p.error("expected '::=' after rule name '\(name)'") }
            let r = p.rule(name)
            if p.rules.isDefined(r) { p.i = start; throw p.error("rule '\(name)' is defined twice") }
            p.rules.define(r, try p.alternation())
        }
        guard let r = p.ids[root] else { throw GrammarError.undefinedRule(root) }
        return (p.rules, r)
    }

    private init(s: [Unicode.Scalar]) { self.s = s }

    func error(_ m: String) -> GrammarError {
        var line = 1, column = 1
        for c in s[..<min(i, s.count)] {
            if c == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return .gbnfSyntax(message: m, line: line, column: column)
    }

    mutating func rule(_ name: String) -> Int {
        if let r = ids[name] { return r }
        let r = rules.add(name)
        ids[name] = r
        return r
    }

    static func isNameChar(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_"
    }

    mutating func name() -> String {
        var out = ""
        while i < s.count, Self.isNameChar(s[i]) { out.unicodeScalars.append(s[i]); i += 1 }
        return out
    }

    mutating func skipSpace() {
        while i < s.count {
            if s[i] == "#" {
                while i < s.count, s[i] != "\n" { i += 1 }
            } else if s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" {
                i += 1
            } else {
                return
            }
        }
    }

    mutating func eat(_ token: String) -> Bool {
        let t = Array(token.unicodeScalars)
        guard i + t.count <= s.count, Array(s[i..<i + t.count]) == t else { return false }
        i += t.count
        return true
    }

    /// Whether a `name ::=` starts here (the end of the current rule).
    private func atRuleStart() -> Bool {
        var j = i
        while j < s.count, Self.isNameChar(s[j]) { j += 1 }
        guard j > i else { return false }
        while j < s.count, s[j] == " " || s[j] == "\t" || s[j] == "\n" || s[j] == "\r" { j += 1 }
        return j + 2 < s.count && s[j] == ":" && s[j + 1] == ":" && s[j + 2] == "="
    }

    mutating func alternation() throws -> GrammarExpr {
        var options = [try sequence()]
        while eat("|") { options.append(try sequence()) }
        return options.count == 1 ? options[0] : .alt(options)
    }

    private mutating func sequence() throws -> GrammarExpr {
        var items: [GrammarExpr] = []
        while true {
            skipSpace()
            guard i < s.count, s[i] != "|", s[i] != ")", !atRuleStart() else { break }
            items.append(try postfix(try atom()))
        }
        return items.count == 1 ? items[0] : .seq(items)
    }
}
