/// Decimal integers (no leading zeros, `-` for negatives) within bounds, as a grammar:
/// the classic digit-by-digit range construction.
enum IntegerRange {
    /// Integers in `lo...hi` (nil: unbounded on that side); unbounded magnitudes get at most
    /// `maxDigits` digits.
    static func expr(lo: Int?, hi: Int?, maxDigits: Int) -> GrammarExpr {
        var options: [GrammarExpr] = []
        if (lo ?? -1) < 0, (hi ?? -1) >= (lo ?? Int.min) {
            let mLo = (hi.map { $0 < 0 } ?? false) ? magnitude(hi ?? -1) : 1
            let mHi = lo.map { magnitude($0) }
            if mHi.map({ mLo <= $0 }) ?? true { options.append(.seq([.literal("-"), digits(mLo, mHi, maxDigits)])) }
        }
        if (hi ?? 0) >= 0 {
            let nLo = max(lo ?? 0, 0)
            if hi.map({ nLo <= $0 }) ?? true { options.append(digits(nLo, hi, maxDigits)) }
        }
        return options.count == 1 ? options[0] : .alt(options)
    }

    private static func magnitude(_ v: Int) -> Int { v == Int.min ? Int.max : abs(v) }

    private static func count(_ v: Int) -> Int { String(v).count }

    /// 10^n - 1, saturating.
    private static func nines(_ n: Int) -> Int { n >= 19 ? Int.max : Int(String(repeating: "9", count: n)) ?? Int.max }

    /// Non-negative integers in `lo...hi` (hi nil: up to `maxDigits` digits).
    private static func digits(_ lo: Int, _ hi: Int?, _ maxDigits: Int) -> GrammarExpr {
        var options: [GrammarExpr] = []
        let first = count(lo)
        if let hi {
            for n in first...count(hi) {
                let a = n == first ? lo : nines(n - 1) + 1
                let b = n == count(hi) ? hi : nines(n)
                options.append(sameLength(Array(String(a).utf8), Array(String(b).utf8)))
            }
        } else {
            options.append(sameLength(Array(String(lo).utf8), Array(String(nines(first)).utf8)))
            if first < maxDigits {
                options.append(.seq([.range("1", "9"), .rep(.range("0", "9"), min: first, max: maxDigits - 1)]))
            }
        }
        return options.count == 1 ? options[0] : .alt(options)
    }

    /// Digit strings of one length between `a` and `b` (inclusive, a <= b).
    private static func sameLength(_ a: [UInt8], _ b: [UInt8]) -> GrammarExpr {
        guard let a0 = a.first, let b0 = b.first else { return .empty }
        let restA = Array(a.dropFirst()), restB = Array(b.dropFirst())
        let anyRest = GrammarExpr.rep(.range("0", "9"), min: restA.count, max: restA.count)
        if a0 == b0 { return .seq([.bytes([a0]), sameLength(restA, restB)]) }
        let lowFull = restA.allSatisfy { $0 == 0x30 }, highFull = restB.allSatisfy { $0 == 0x39 }
        var options: [GrammarExpr] = []
        if !lowFull { options.append(.seq([.bytes([a0]), sameLength(restA, restA.map { _ in 0x39 })])) }
        let midLo = lowFull ? a0 : a0 + 1, midHi = highFull ? b0 : b0 - 1
        if midLo <= midHi {
            options.append(.seq([.chars(CodePointSet([UInt32(midLo)...UInt32(midHi)])), anyRest]))
        }
        if !highFull { options.append(.seq([.bytes([b0]), sameLength(restB.map { _ in 0x30 }, restB)])) }
        return options.count == 1 ? options[0] : .alt(options)
    }
}
