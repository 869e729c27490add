extension RegexParser {
    static let digit = CodePointSet([0x30...0x39])
    static let word = CodePointSet([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    static let space = CodePointSet([0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A,
                                     0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF])

    /// After `[`: the class up to its `]`.
    mutating func classBody() throws -> CodePointSet {
        let negated = eat("^")
        var set: [ClosedRange<UInt32>] = []
        var first = true
        while i < s.count, s[i] != "]" || first {
            first = false
            let lo = try classAtom()
            if i + 1 < s.count, s[i] == "-", s[i + 1] != "]", case .single(let a) = lo {
                i += 1
                guard case .single(let b) = try classAtom(), a <= b else { throw error("bad range in class") }
                set.append(a...b)
            } else {
                switch lo {
                case .single(let a): set.append(a...a)
                case .set(let cs): set += cs.ranges
                }
            }
        }
        guard eat("]") else { throw error("missing ']'") }
        let cs = CodePointSet(set)
        return negated ? cs.inverted : cs
    }

    enum ClassAtom { case single(UInt32), set(CodePointSet) }

    private mutating func classAtom() throws -> ClassAtom {
        let c = s[i]
        i += 1
        guard c == "\\" else { return .single(c.value) }
        if case .chars(let cs) = try escape(inClass: true) {
            if cs.ranges.count == 1, cs.ranges[0].lowerBound == cs.ranges[0].upperBound { return .single(cs.ranges[0].lowerBound) }
            return .set(cs)
        }
        throw error("unsupported escape in class")
    }

    /// After `\`: one escape, as a one-character expression.
    mutating func escape(inClass: Bool) throws -> GrammarExpr {
        guard i < s.count else { throw error("trailing '\\'") }
        let c = s[i]
        i += 1
        let single: (UInt32) -> GrammarExpr = { .chars(CodePointSet(scalar: $0)) }
        switch c {
        case "d": return .chars(Self.digit)
        case "D": return .chars(Self.digit.inverted)
        case "w": return .chars(Self.word)
        case "W": return .chars(Self.word.inverted)
        case "s": return .chars(Self.space)
        case "S": return .chars(Self.space.inverted)
        case "n": return single(0x0A)
        case "r": return single(0x0D)
        case "t": return single(0x09)
        case "f": return single(0x0C)
        case "v": return single(0x0B)
        case "0": return single(0)
        case "b" where inClass: return single(0x08)
        case "x": return single(try hex(count: 2))
        case "u":
            if eat("{") {
                let v = try hex(count: nil)
                guard eat("}") else { throw error("malformed \\u{…}") }
                return single(v)
            }
            return single(try hex(count: 4))
        default:
            if ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("1"..."9").contains(c) {
                throw error("unsupported escape '\\\(c)'")
            }
            return single(c.value)
        }
    }

    private mutating func hex(count: Int?) throws -> UInt32 {
        var v: UInt32 = 0, n = 0
        while i < s.count, count.map({ n < $0 }) ?? true, let d = s[i].isASCII ? UInt32(String(s[i]), radix: 16) : nil {
            v = v &* 16 &+ d
            n += 1
            i += 1
        }
        guard n > 0, count.map({ n == $0 }) ?? (n <= 6), v <= 0x10FFFF else { throw error("malformed hex escape") }
        return v
    }
}
