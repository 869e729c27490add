/// Turns a `RuleSet` over code points into the byte-level rules a `Grammar` runs: literals
/// become one element per byte, character classes their UTF-8 byte-range sequences,
/// alternations inside sequences and repetitions helper rules (a tail-recursive rule for
/// `*`, a chain of optional rules for `{m,n}`). Rejects undefined and left-recursive rules.
struct GrammarLowering {
    enum Element: Hashable { case set(Int32), ref(Int) }
    private enum HelperKey: Hashable { case expr(GrammarExpr), star(Element), optional(Element, Int), required(Element, Element?, Int), nothing }
    private enum ChainKey: Hashable { case optional(Element), required(Element, Element?) }

    var rules: [[[Element]]] = []
    var names: [String]
    var sets: [ByteSet] = []
    private var setIndex: [ByteSet: Int32] = [:]
    private var helpers: [HelperKey: Int] = [:]
    /// Each bounded repetition's chain of optional rules, by level: `chains[c][i - 1]` is
    /// O_i (up to i more units). Chains of one unit share their rules whatever the bounds.
    var chains: [[Int]] = []
    private var chainOf: [ChainKey: Int] = [:]
    private var definitions: [GrammarExpr] = []
    /// Per named rule: 0 not lowered, 1 in progress, 2 done (helpers are made done).
    private var state: [UInt8] = []

    private mutating func ensureLowered(_ r: Int) {
        guard r < state.count, state[r] == 0 else { return }
        state[r] = 1
        rules[r] = alternatives(definitions[r])
        state[r] = 2
    }

    /// The compiled grammar of `ruleSet` starting at rule `root`.
    static func lower(_ ruleSet: RuleSet, root: Int) throws -> Grammar {
        var l = GrammarLowering(names: ruleSet.names)
        l.rules = Array(repeating: [], count: ruleSet.names.count)
        l.state = Array(repeating: 0, count: ruleSet.names.count)
        for (i, def) in ruleSet.definitions.enumerated() where def == nil { throw GrammarError.undefinedRule(ruleSet.names[i]) }
        l.definitions = ruleSet.definitions.map { $0 ?? .empty }
        for i in ruleSet.names.indices { l.ensureLowered(i) }
        try l.pruneUnproductive(root: root)
        try l.checkLeftRecursion()
        return l.flatten(root: root)
    }

    private init(names: [String]) { self.names = names }

    private mutating func alternatives(_ e: GrammarExpr) -> [[Element]] {
        if case .alt(let xs) = e { return xs.flatMap { alternatives($0) } }
        var out: [Element] = []
        append(e, to: &out)
        return [out]
    }

    private mutating func append(_ e: GrammarExpr, to out: inout [Element]) {
        switch e {
        case .bytes(let bs):
            for b in bs { out.append(.set(setID(ByteSet(b...b)))) }
        case .chars(let cs):
            let seqs = cs.utf8Sequences
            if seqs.count == 1 {
                for r in seqs[0] { out.append(.set(setID(ByteSet(r)))) }
            } else {
                out.append(.ref(helper(.expr(e)) { $0.charAlternatives(seqs) }))
            }
        case .seq(let xs):
            for x in xs { append(x, to: &out) }
        case .alt(let xs):
            if xs.count == 1 { append(xs[0], to: &out); return }
            out.append(.ref(helper(.expr(e)) { $0.alternatives(e) }))
        case .ref(let r):
            out.append(.ref(r))
        case .rep(let x, let lo, let hi):
            appendRepetition(x, min: lo, max: hi, to: &out)
        }
    }

    private mutating func appendRepetition(_ x: GrammarExpr, min lo: Int, max hi: Int?, to out: inout [Element]) {
        var body: [Element] = []
        append(x, to: &body)
        if body.isEmpty { return }
        let unit = body.count == 1 ? body[0] : .ref(helper(.expr(x)) { _ in [body] })
        let alts = unitAlternatives(unit)
        var tail: Element?
        if let hi {
            if hi > lo { tail = .ref(optionalChain(unit, alts, hi - lo)) }
        } else {
            let star = helper(.star(unit)) { _ in [] }
            rules[star] = alts.map { $0 + [.ref(star)] } + [[]]
            tail = .ref(star)
        }
        if lo > 2 {
            out.append(.ref(requiredChain(unit, alts, lo, then: tail)))
            return
        }
        for _ in 0..<lo { out.append(unit) }
        if let tail { out.append(tail) }
    }

    /// M_k ::= unit M_(k-1), with M_1 ::= unit `tail`: exactly k units, then the tail. A chain
    /// rather than k copies in one sequence, so that `RepetitionLevels` can key its deep
    /// levels as one (`minItems: 200` would otherwise make every item's states new).
    private mutating func requiredChain(_ unit: Element, _ alts: [[Element]], _ k: Int, then tail: Element?) -> Int {
        var previous: Int?
        let chain = chainIndex(.required(unit, tail))
        for i in 1...k {
            let next = previous.map { [Element.ref($0)] } ?? tail.map { [$0] } ?? []
            previous = helper(.required(unit, tail, i)) { _ in alts.map { $0 + next } }
            if chains[chain].count < i, let r = previous { chains[chain].append(r) }
        }
        return previous ?? 0
    }

    private mutating func chainIndex(_ key: ChainKey) -> Int {
        if let c = chainOf[key] { return c }
        chains.append([])
        chainOf[key] = chains.count - 1
        return chains.count - 1
    }

    /// O_k ::= unit O_(k-1) | ε, with O_1 ::= unit | ε: up to k more units.
    private mutating func optionalChain(_ unit: Element, _ alts: [[Element]], _ k: Int) -> Int {
        var previous: Int?
        let chain = chainIndex(.optional(unit))
        for i in 1...k {
            let rest = previous
            previous = helper(.optional(unit, i)) { _ in alts.map { a in rest.map { a + [.ref($0)] } ?? a } + [[]] }
            if chains[chain].count < i, let r = previous { chains[chain].append(r) }
        }
        return previous ?? 0
    }

    /// The unit of a repetition as alternatives spliced into the repeating rule (its rule's
    /// alternatives, a leading terminal-only rule spliced too), so a loop over a character
    /// class pushes no return frame per character; `[[unit]]` when that would be large.
    private mutating func unitAlternatives(_ unit: Element) -> [[Element]] {
        guard case .ref(let r) = unit else { return [[unit]] }
        ensureLowered(r)
        guard state.count <= r || state[r] == 2 else { return [[unit]] }
        var out: [[Element]] = []
        for a in rules[r] {
            if case .ref(let h)? = a.first, isTerminalOnly(h) {
                out += rules[h].map { $0 + a.dropFirst() }
            } else {
                out.append(a)
            }
        }
        return out.isEmpty || out.count > 32 ? [[unit]] : out
    }

    private mutating func isTerminalOnly(_ r: Int) -> Bool {
        ensureLowered(r)
        guard state.count <= r || state[r] == 2 else { return false }
        return rules[r].allSatisfy { $0.allSatisfy { if case .set = $0 { return true } else { return false } } }
    }

    /// The alternatives of a multi-sequence character class: single bytes merged into one set.
    private mutating func charAlternatives(_ seqs: [[ClosedRange<UInt8>]]) -> [[Element]] {
        var single = ByteSet(), hasSingle = false
        var out: [[Element]] = []
        for s in seqs {
            if s.count == 1 { single.formUnion(ByteSet(s[0])); hasSingle = true; continue }
            out.append(s.map { .set(setID(ByteSet($0))) })
        }
        if hasSingle { out.insert([.set(setID(single))], at: 0) }
        return out
    }

    private mutating func helper(_ key: HelperKey, _ make: (inout GrammarLowering) -> [[Element]]) -> Int {
        if let r = helpers[key] { return r }
        let r = rules.count
        rules.append([])
        names.append("_\(r)")
        helpers[key] = r
        rules[r] = make(&self)
        return r
    }

    private mutating func setID(_ s: ByteSet) -> Int32 {
        if let i = setIndex[s] { return i }
        let i = Int32(sets.count)
        sets.append(s)
        setIndex[s] = i
        return i
    }
}
