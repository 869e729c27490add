/// How `TokenMasker` keys positions inside bounded repetitions (`x{0,512}`: rules O_i ::=
/// x O_(i-1) | ε, O_i allowing up to i more units), for tokens of at most `cap - 1` bytes.
///
/// Why levels can be merged: a position in O_i finishes its current unit, then may take up
/// to i - 1 more; every unit consumes at least one byte (empty bodies are dropped when
/// lowering), so n ≤ i - 1 bytes never reach the bound, and from O_i and O_j (i, j > n) the
/// same bytes are accepted, rejected or end the repetition (ε is an alternative at every
/// level). Hence:
/// - `key`: levels above `cap` behave like O_cap for every token: a 512-character string has
///   one cache entry per position of its body, not 512;
/// - `lift`/`level`: at a level i below that, tokens shorter than i behave as at the chain's
///   base level (the top level, or `cap`): an entry there needs its own walk only for the
///   longer tokens, and takes the shorter ones from the base entry.
struct RepetitionLevels: Sendable {
    /// Each position as cache keys use it: levels above `cap` mapped to the same alternative
    /// and offset in O_cap; every other position itself. // (elementCount)
    let key: [Int32]
    /// Each (key) position at its chain's base level (same alternative and offset); itself
    /// outside chains and at base levels. // (elementCount)
    let lift: [Int32]
    /// The level of a key position below its chain's base level; `Int32.max` elsewhere
    /// (outside chains, at base levels, at level 1 whose shape differs). // (elementCount)
    let level: [Int32]

    /// nil when the grammar has no bounded repetition with levels to merge or lift.
    init?(_ g: Grammar, cap: Int) {
        let cap = max(cap, 2)  // O_1 lacks the reference to the level below: shapes differ
        guard g.repetitionChains.contains(where: { $0.count > 2 }) else { return nil }
        var key = (0..<Int32(g.elements.count)).map { $0 }
        var lift = key
        var level = [Int32](repeating: .max, count: g.elements.count)
        for chain in g.repetitionChains where chain.count > 2 {
            let base = min(chain.count, cap)
            let target = g.ruleAlternatives[Int(chain[base - 1])]
            // Levels 2 ..< base lift to the base; levels above it are keyed as it. From the base
            // outwards, stopping at the first level whose shape differs (never for lowered chains).
            for (levels, mapsKey) in [(Array((1..<base - 1).reversed()), false), (Array(base..<chain.count), true)] {
                for i in levels {  // chain[i] is O_(i+1)
                    let alts = g.ruleAlternatives[Int(chain[i])]
                    guard alts.count == target.count, zip(alts, target).allSatisfy({ g.sameShape(Int($0), Int($1)) }) else { break }
                    for (start, to) in zip(alts, target) {
                        var m: Int32 = 0
                        repeat {
                            let p = Int(start + m)
                            if mapsKey { key[p] = to + m } else { lift[p] = to + m; level[p] = Int32(i + 1) }
                            m += 1
                        } while g.elements[Int(start + m - 1)] != -1
                    }
                }
            }
        }
        self.key = key
        self.lift = lift
        self.level = level
    }
}

extension Grammar {
    /// The alternatives starting at `a` and `b` have the same elements, except that
    /// references may differ (each level refers to its own level below).
    func sameShape(_ a: Int, _ b: Int) -> Bool {
        var m = 0
        while true {
            let (x, y) = (elements[a + m], elements[b + m])
            guard x == y || (x <= -2 && y <= -2) else { return false }
            if x == -1 { return true }
            m += 1
        }
    }
}
