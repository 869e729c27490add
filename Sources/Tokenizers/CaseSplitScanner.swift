/// The scanner behind GPT-4o's pattern (o200k: Phi-4-mini, Llama 4; llama.cpp "gpt-4o") and
/// Tekken's (Mistral Nemo), which split words where lower case turns to upper case:
///
///     [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
///     |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
///     |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// (Tekken: no contractions, single digits). The first two alternatives are resolved the way a
/// backtracking engine does: with the optional leading character first, then without; the
/// greedy upper run gives back characters that are in both classes (Lm, Lo, M) until one can
/// start the lower run.
struct CaseSplitScanner {
    /// The classes the pattern tells apart.
    enum Kind: Equatable {
        case upper      // Lu, Lt: only in the upper class
        case lower      // Ll: only in the lower class
        case caseless   // Lm, Lo: in both (letters)
        case mark       // M: in both, yet not \p{L}
        case number, whitespace, other

        static func of(_ c: Unicode.Scalar) -> Kind {
            switch CharClass.of(c) {
            case .number: return .number
            case .whitespace: return .whitespace
            case .other, .outOfRange:
                switch c.properties.generalCategory {
                case .nonspacingMark, .spacingMark, .enclosingMark: return .mark
                default: return .other
                }
            case .letter:
                switch c.properties.generalCategory {
                case .uppercaseLetter, .titlecaseLetter: return .upper
                case .lowercaseLetter: return .lower
                default: return .caseless
                }
            }
        }

        var inUpper: Bool { self == .upper || self == .caseless || self == .mark }
        var inLower: Bool { self == .lower || self == .caseless || self == .mark }
    }

    let s: [Unicode.Scalar]
    let kinds: [Kind]
    let end: Int
    let contractions: Bool
    let maxDigits: Int

    init(_ s: [Unicode.Scalar], end: Int, contractions: Bool, maxDigits: Int) {
        self.s = s
        self.kinds = s.map(Kind.of)
        self.end = end
        self.contractions = contractions
        self.maxDigits = maxDigits
    }

    private func kind(_ i: Int) -> Kind? { i < end ? kinds[i] : nil }
    private func isNewline(_ i: Int) -> Bool { i < end && (s[i] == "\r" || s[i] == "\n") }

    /// Words of `range`, each passed to `emit`.
    func scan(_ range: Range<Int>, _ emit: (Range<Int>) -> Void) {
        var pos = range.lowerBound
        while pos < end {
            let start = pos
            if let e = word(at: pos) {
                pos = e
            } else if kind(pos) == .number {  // \p{N}{1,maxDigits}
                while pos - start < maxDigits && kind(pos) == .number { pos += 1 }
            } else if let k = kind(s[pos] == " " ? pos + 1 : pos), k == .other || k == .mark {  // ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
                if s[pos] == " " { pos += 1 }
                while kind(pos) == .other || kind(pos) == .mark { pos += 1 }
                while isNewline(pos) || (pos < end && s[pos] == "/") { pos += 1 }
            } else {
                pos = PreTokenizer.whitespaceRunEnd(s, pos, end)
            }
            emit(start ..< pos)
        }
    }

    /// The end of the first two alternatives' match at `p`, if either matches.
    private func word(at p: Int) -> Int? {
        let k = kinds[p]
        let canLead = !isNewline(p) && k != .upper && k != .lower && k != .caseless && k != .number
        let starts = canLead ? [p + 1, p] : [p]
        for q in starts { if let e = upperThenLower(q) { return withContraction(e) } }
        for q in starts { if let e = upperRun(q) { return withContraction(e) } }
        return nil
    }

    /// `[upper]*[lower]+` from q: the greedy upper run, then the lower run; without one, the
    /// upper run shortened to end just past its last character that is also lower.
    private func upperThenLower(_ q: Int) -> Int? {
        var u = q
        while kind(u)?.inUpper == true { u += 1 }
        var l = u
        while kind(l)?.inLower == true { l += 1 }
        if l > u { return l }
        var j = u - 1
        while j >= q && !kinds[j].inLower { j -= 1 }
        return j >= q ? j + 1 : nil
    }

    /// `[upper]+[lower]*` from q.
    private func upperRun(_ q: Int) -> Int? {
        var u = q
        while kind(u)?.inUpper == true { u += 1 }
        guard u > q else { return nil }
        while kind(u)?.inLower == true { u += 1 }
        return u
    }

    private func withContraction(_ e: Int) -> Int {
        guard contractions, e < end else { return e }
        return e + PreTokenizer.contraction(s, e, end, caseInsensitive: true)
    }
}
