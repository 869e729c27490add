/// Parses the regex subset grammars support into a `GrammarExpr` over code points:
/// literals and escapes (`\d \w \s` and negations, `\n \t \xHH \uHHHH \u{H…}`, escaped
/// punctuation), `.` (any but line terminators), classes with ranges and negation, groups
/// (`(…)`, `(?:…)`, `(?<name>…)`), alternation, `* + ? {n} {n,} {n,m}` (lazy forms accepted:
/// same language), and `^`/`$` only at the start/end of a top-level alternative.
/// Backreferences, lookaround and word boundaries are errors.
struct RegexParser {
    enum Mode {
        /// The whole text must match (vLLM's `regex`); anchors are allowed and change nothing.
        case fullMatch
        /// JSON Schema's `pattern`: a match anywhere, so unanchored ends get `.*`-like padding
        /// over every code point.
        case search
    }

    let s: [Unicode.Scalar]
    var i = 0

    static func parse(_ pattern: String, mode: Mode) throws -> GrammarExpr {
        var p = RegexParser(s: Array(pattern.unicodeScalars))
        var options: [GrammarExpr] = []
        repeat {
            let anchoredStart = p.eat("^")
            let body = try p.sequence(topLevel: true)
            let anchoredEnd = p.eat("$")
            if p.i < p.s.count, p.s[p.i] != "|" { throw p.error("'$' is only supported at the end") }
            let pad = GrammarExpr.star(.chars(.all))
            let start = mode == .search && !anchoredStart ? [pad] : []
            let end = mode == .search && !anchoredEnd ? [pad] : []
            options.append(.seq(start + [body] + end))
        } while p.eat("|")
        return options.count == 1 ? options[0] : .alt(options)
    }

    private init(s: [Unicode.Scalar]) { self.s = s }

    func error(_ m: String) -> GrammarError { .regexSyntax(message: m, offset: i) }

    mutating func eat(_ c: Unicode.Scalar) -> Bool {
        if i < s.count, s[i] == c { i += 1; return true }
        return false
    }

    private mutating func alternation() throws -> GrammarExpr {
        var options = [try sequence(topLevel: false)]
        while eat("|") { options.append(try sequence(topLevel: false)) }
        return options.count == 1 ? options[0] : .alt(options)
    }

    private mutating func sequence(topLevel: Bool) throws -> GrammarExpr {
        var items: [GrammarExpr] = []
        while i < s.count, s[i] != "|", s[i] != ")" {
            if s[i] == "$" {
                if topLevel { break }
                throw error("'$' is only supported at the end of the pattern")
            }
            if s[i] == "^" { throw error("'^' is only supported at the start of the pattern") }
            let atom = try self.atom()
            items.append(try quantified(atom))
        }
        if topLevel, i < s.count, s[i] == ")" { throw error("unbalanced ')'") }
        return items.count == 1 ? items[0] : .seq(items)
    }

    private mutating func atom() throws -> GrammarExpr {
        let c = s[i]
        i += 1
        switch c {
        case "(":
            if eat("?") {
                if eat(":") {
                } else if eat("<"), let close = s[i...].firstIndex(of: ">"), s[i] != "=", s[i] != "!" {
                    i = close + 1
                } else {
                    throw error("lookaround and other group flags are not supported")
                }
            }
            let inner = try alternation()
            guard eat(")") else { throw error("missing ')'") }
            return inner
        case "[": return .chars(try classBody())
        case ".": return .chars(CodePointSet([0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029]).inverted)
        case "\\": return try escape(inClass: false)
        case "*", "+", "?", "{":
            if c == "{", !startsQuantifier(at: i - 1) { return .chars(CodePointSet(scalar: c.value)) }
            throw error("nothing to repeat")
        default: return .chars(CodePointSet(scalar: c.value))
        }
    }

    private func startsQuantifier(at k: Int) -> Bool {
        var j = k + 1
        while j < s.count, ("0"..."9").contains(s[j]) || s[j] == "," { j += 1 }
        return j > k + 1 && j < s.count && s[j] == "}" && ("0"..."9").contains(s[k + 1])
    }

    private mutating func quantified(_ atom: GrammarExpr) throws -> GrammarExpr {
        var e = atom
        while i < s.count {
            let (lo, hi): (Int, Int?)
            switch s[i] {
            case "*": (lo, hi) = (0, nil); i += 1
            case "+": (lo, hi) = (1, nil); i += 1
            case "?": (lo, hi) = (0, 1); i += 1
            case "{" where startsQuantifier(at: i): (lo, hi) = try braces()
            default: return e
            }
            _ = eat("?")  // lazy: same language
            e = .rep(e, min: lo, max: hi)
        }
        return e
    }

    private mutating func braces() throws -> (Int, Int?) {
        i += 1
        let lo = number() ?? 0
        var hi: Int? = lo
        if eat(",") { hi = number() }
        guard eat("}") else { throw error("malformed {m,n}") }
        if let h = hi, h < lo { throw error("{m,n} with n < m") }
        if lo > 10_000 || (hi ?? 0) > 10_000 { throw error("repetition count over 10000") }
        return (lo, hi)
    }

    private mutating func number() -> Int? {
        var v: Int?
        while i < s.count, let d = Int(String(s[i])), ("0"..."9").contains(s[i]) {
            v = min((v ?? 0) * 10 + d, 1_000_000)
            i += 1
        }
        return v
    }
}
