/// The sets of parse stacks met while walking a token trie from one start, each interned
/// once (by content: positions and return frames) with a transition row filled the first
/// time it is needed — a DFA built lazily over the grammar. A trie walk then costs one table
/// lookup per node instead of a stack expansion: walks over string content, where nearly
/// every token stays alive and pruning saves little, run at memory speed.
///
/// A row costs one expansion per group of bytes that the set's terminals treat alike (a
/// string body: about four), not one per byte.
struct StackSetAutomaton {
    /// The empty set: every byte rejected.
    static let dead: Int32 = 0
    static let liveFlag: UInt8 = 1
    static let boundaryFlag: UInt8 = 2

    private(set) var sets: [[GrammarStack]] = []
    /// Per state: `liveFlag` a stack takes more bytes, `boundaryFlag` one popped past
    /// `ReturnFrame.boundary`. // (numStates)
    private(set) var flags: [UInt8] = []
    /// Next state per (state, byte), valid where `ready`. // (numStates * 256)
    private var rows: [Int32] = []
    private var ready: [Bool] = []  // (numStates)
    private var index: [[Int32]: Int32] = [:]
    private var signatures = [UInt64](repeating: 0, count: 256)  // (256) stacks accepting each byte
    private var targets: [UInt64: Int32] = [:]
    private var expanded: [GrammarStack] = []

    /// Forgets every state (keeping buffers); returns the state of `start`.
    mutating func reset(start: [GrammarStack]) -> Int32 {
        sets.removeAll(keepingCapacity: true)
        flags.removeAll(keepingCapacity: true)
        rows.removeAll(keepingCapacity: true)
        ready.removeAll(keepingCapacity: true)
        index.removeAll(keepingCapacity: true)
        _ = intern([])
        return intern(start)
    }

    /// The state after `byte` from state `s`.
    @inline(__always) mutating func next(_ s: Int32, _ byte: UInt8, _ grammar: Grammar) -> Int32 {
        if !ready[Int(s)] { fillRow(s, grammar) }
        return rows[Int(s) &<< 8 | Int(byte)]
    }

    private mutating func intern(_ set: [GrammarStack]) -> Int32 {
        var key: [Int32] = []
        for s in set {
            key.append(s.position)
            var f = s.rest
            while let frame = f { key.append(frame.position); f = frame.parent }
            key.append(Int32.min)
        }
        if let id = index[key] { return id }
        let id = Int32(sets.count)
        index[key] = id
        sets.append(set)
        var flag: UInt8 = 0
        for s in set {
            if s.position >= 0 { flag |= Self.liveFlag } else if s.position == -2 { flag |= Self.boundaryFlag }
        }
        flags.append(flag)
        ready.append(false)
        rows.append(contentsOf: repeatElement(Self.dead, count: 256))
        return id
    }

    private mutating func fillRow(_ s: Int32, _ grammar: Grammar) {
        ready[Int(s)] = true
        let stacks = sets[Int(s)].filter { $0.position >= 0 }
        guard !stacks.isEmpty else { return }
        guard stacks.count <= 64 else { return fillRowByByte(s, stacks, grammar) }
        for b in 0..<256 { signatures[b] = 0 }
        for (j, st) in stacks.enumerated() {
            let set = Int(grammar.elements[Int(st.position)]) * 4
            for w in 0..<4 {
                var bits = grammar.byteSets[set + w]
                while bits != 0 {
                    signatures[w * 64 + bits.trailingZeroBitCount] |= 1 << UInt64(j)
                    bits &= bits - 1
                }
            }
        }
        targets.removeAll(keepingCapacity: true)
        targets[0] = Self.dead
        for b in 0..<256 {
            let sig = signatures[b]
            if let t = targets[sig] { rows[Int(s) << 8 | b] = t; continue }
            expanded.removeAll(keepingCapacity: true)
            var rest = sig
            while rest != 0 {
                let st = stacks[rest.trailingZeroBitCount]
                grammar.expand(st.position + 1, st.rest, into: &expanded)
                rest &= rest - 1
            }
            let t = intern(expanded)
            targets[sig] = t
            rows[Int(s) << 8 | b] = t
        }
    }

    /// Rows of sets too large for a 64-bit signature: one expansion per byte.
    private mutating func fillRowByByte(_ s: Int32, _ stacks: [GrammarStack], _ grammar: Grammar) {
        for b in 0..<256 {
            grammar.advance(stacks, UInt8(b), into: &expanded)
            rows[Int(s) << 8 | b] = intern(expanded)
        }
    }
}
