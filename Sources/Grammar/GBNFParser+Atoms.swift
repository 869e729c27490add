extension GBNFParser {
    mutating func atom() throws -> GrammarExpr {
        let c = s[i]
        if GBNFParser.isNameChar(c) { return .ref(rule(name())) }
        i += 1
        switch c {
        case "\"":
            var bytes: [UInt8] = []
            while i < s.count, s[i] != "\"" {
                bytes += CodePointSet.encode(try char())
            }
            guard i < s.count else { throw error("unterminated string literal") }
            i += 1
            return .bytes(bytes)
        case "[":
            let negated = i < s.count && s[i] == "^"
            if negated { i += 1 }
            var ranges: [ClosedRange<UInt32>] = []
            while i < s.count, s[i] != "]" {
                let lo = try char()
                var hi = lo
                if i + 1 < s.count, s[i] == "-", s[i + 1] != "]" {
                    i += 1
                    hi = try char()
                    guard lo <= hi else { throw error("character range out of order") }
                }
                ranges.append(lo...hi)
            }
            guard i < s.count else { throw error("unterminated character class") }
            i += 1
            let set = CodePointSet(ranges)
            return .chars(negated ? set.inverted : set)
        case "(":
            let inner = try alternation()
            skipSpace()
            guard eat(")") else { throw error("expected ')'") }
            return inner
        case ".":
            return .chars(.all)
        default:
            i -= 1
            throw error("unexpected '\(c)'")
        }
    }

    /// One character of a literal or class, escapes decoded.
    private mutating func char() throws -> UInt32 {
        let c = s[i]
        i += 1
        guard c == "\\" else { return c.value }
        guard i < s.count else { throw error("unterminated escape") }
        let e = s[i]
        i += 1
        switch e {
        case "n": return 0x0A
        case "r": return 0x0D
        case "t": return 0x09
        case "0": return 0
        case "x": return try hex(2)
        case "u": return try hex(4)
        case "U": return try hex(8)
        case "\\", "\"", "[", "]", "-", "^", "/", "'": return e.value
        default: i -= 1; throw error("unknown escape '\\\(e)'")
        }
    }

    private mutating func hex(_ n: Int) throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<n {
            guard i < s.count, s[i].isASCII, let d = UInt32(String(s[i]), radix: 16) else { throw error("expected \(n) hex digits") }
            v = v &* 16 &+ d
            i += 1
        }
        guard v <= 0x10FFFF, !(0xD800...0xDFFF).contains(v) else { throw error("escape is not a Unicode scalar") }
        return v
    }

    mutating func postfix(_ atom: GrammarExpr) throws -> GrammarExpr {
        var e = atom
        while i < s.count {
            switch s[i] {
            case "*": e = .star(e); i += 1
            case "+": e = .rep(e, min: 1, max: nil); i += 1
            case "?": e = .optional(e); i += 1
            case "{":
                i += 1
                skipSpace()
                guard let lo = number() else { throw error("expected a number after '{'") }
                skipSpace()
                var hi: Int? = lo
                if eat(",") { skipSpace(); hi = number(); skipSpace() }
                guard eat("}") else { throw error("expected '}'") }
                if let h = hi, h < lo { throw error("{m,n} with n < m") }
                if lo > 10_000 || (hi ?? 0) > 10_000 { throw error("repetition count over 10000") }
                e = .rep(e, min: lo, max: hi)
            default: return e
            }
        }
        return e
    }

    private mutating func number() -> Int? {
        var v: Int?
        while i < s.count, s[i].isASCII, let d = Int(String(s[i])) {
            v = min((v ?? 0) * 10 + d, 1_000_000)
            i += 1
        }
        return v
    }
}
