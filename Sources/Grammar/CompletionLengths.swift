/// The fewest bytes that complete a grammar from each of its positions, so a sequence can
/// be steered to a valid end before its token budget runs out (an object that may take more
/// properties closes instead of growing until `max_tokens` cuts it). Immutable; any thread.
public struct CompletionLengths: Sendable {
    /// A position from which the grammar cannot end (only in unproductive rules).
    public static let unbounded = Int.max / 4
    /// Fewest bytes from element p to the end of p's alternative. // (grammar.elementCount)
    private let suffix: [Int]

    public init(_ grammar: Grammar) {
        let e = grammar.elements, inf = Self.unbounded
        // Fewest bytes of each rule: a fixed point (rules only reach their minimum through
        // rules whose minimum is already known, so each pass settles at least one more).
        var rule = [Int](repeating: inf, count: grammar.ruleAlternatives.count)
        func length(from start: Int32) -> Int {
            var n = 0, p = Int(start)
            while e[p] != -1 {
                n += e[p] >= 0 ? 1 : rule[Int(-e[p] - 2)]
                if n >= inf { return inf }
                p += 1
            }
            return n
        }
        var changed = true
        while changed {
            changed = false
            for r in rule.indices {
                let best = grammar.ruleAlternatives[r].map(length).min() ?? inf
                if best < rule[r] { rule[r] = best; changed = true }
            }
        }
        var suffix = [Int](repeating: 0, count: e.count)
        var p = e.count - 1
        while p >= 0 {
            if e[p] == -1 {
                suffix[p] = 0
            } else {
                let here = e[p] >= 0 ? 1 : rule[Int(-e[p] - 2)]
                suffix[p] = min(inf, here + suffix[p + 1])
            }
            p -= 1
        }
        self.suffix = suffix
    }

    /// Fewest bytes that take `matcher` to a place where the grammar may end (0: it may end now).
    public func bytesToEnd(_ matcher: GrammarMatcher) -> Int {
        var best = Self.unbounded
        for s in matcher.stacks {
            if s.position == -1 { return 0 }
            guard s.position >= 0 else { continue }
            var n = suffix[Int(s.position)], f = s.rest
            while let frame = f, n < best {
                if frame.position >= 0 { n += suffix[Int(frame.position)] }
                f = frame.parent
            }
            best = min(best, n)
        }
        return best
    }
}
