/// A set of Unicode scalar values as sorted, disjoint, non-adjacent closed ranges
/// (surrogates D800–DFFF are never members: they have no UTF-8 encoding).
struct CodePointSet: Hashable, Sendable {
    private(set) var ranges: [ClosedRange<UInt32>]

    static let maxScalar: UInt32 = 0x10FFFF
    static let all = CodePointSet([0...maxScalar])

    init(_ input: [ClosedRange<UInt32>]) {
        var out: [ClosedRange<UInt32>] = []
        for r in input.sorted(by: { $0.lowerBound < $1.lowerBound }) where r.lowerBound <= Self.maxScalar {
            let r = r.lowerBound...min(r.upperBound, Self.maxScalar)
            if let last = out.last, r.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        ranges = Self.removingSurrogates(out)
    }

    init(scalar: UInt32) { self.init([scalar...scalar]) }

    private static func removingSurrogates(_ rs: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        for r in rs {
            if r.upperBound < 0xD800 || r.lowerBound > 0xDFFF { out.append(r); continue }
            if r.lowerBound < 0xD800 { out.append(r.lowerBound...0xD7FF) }
            if r.upperBound > 0xDFFF { out.append(0xE000...r.upperBound) }
        }
        return out
    }

    var isEmpty: Bool { ranges.isEmpty }

    func contains(_ c: UInt32) -> Bool { ranges.contains { $0.contains(c) } }

    /// Every scalar not in the set.
    var inverted: CodePointSet {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in ranges {
            if r.lowerBound > next { out.append(next...(r.lowerBound - 1)) }
            next = r.upperBound + 1
        }
        if next <= Self.maxScalar { out.append(next...Self.maxScalar) }
        return CodePointSet(out)
    }

    func union(_ o: CodePointSet) -> CodePointSet { CodePointSet(ranges + o.ranges) }

    func subtracting(_ o: CodePointSet) -> CodePointSet { CodePointSet(inverted.ranges + o.ranges).inverted }

    func intersection(_ o: CodePointSet) -> CodePointSet { CodePointSet(inverted.ranges + o.inverted.ranges).inverted }

    /// The UTF-8 encodings of the set's members as sequences of byte ranges: each sequence
    /// matches its bytes position by position (the splitting regex engines use).
    var utf8Sequences: [[ClosedRange<UInt8>]] {
        var out: [[ClosedRange<UInt8>]] = []
        for r in ranges { Self.split(r.lowerBound, r.upperBound, into: &out) }
        return out
    }

    private static func split(_ lo: UInt32, _ hi: UInt32, into out: inout [[ClosedRange<UInt8>]]) {
        for b: UInt32 in [0x7F, 0x7FF, 0xFFFF] where lo <= b && b < hi {
            split(lo, b, into: &out)
            split(b + 1, hi, into: &out)
            return
        }
        let n = encode(lo).count
        for i in 1..<max(n, 1) {
            let m: UInt32 = (1 << (6 * UInt32(i))) - 1
            if lo & ~m != hi & ~m {
                if lo & m != 0 {
                    split(lo, lo | m, into: &out)
                    split((lo | m) + 1, hi, into: &out)
                    return
                }
                if hi & m != m {
                    split(lo, (hi & ~m) - 1, into: &out)
                    split(hi & ~m, hi, into: &out)
                    return
                }
            }
        }
        out.append(zip(encode(lo), encode(hi)).map { $0...$1 })
    }

    static func encode(_ c: UInt32) -> [UInt8] {
        guard let s = Unicode.Scalar(c) else { return [] }
        return Array(String(Character(s)).utf8)
    }
}
