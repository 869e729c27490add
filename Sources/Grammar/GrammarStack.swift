/// A return position below the top of a parse stack: where to continue once the rule
/// entered above it ends. Immutable and shared between stacks (a persistent list).
final class ReturnFrame: Sendable {
    let position: Int32
    let parent: ReturnFrame?

    /// Stands for the unknown frames below the ones a cache entry is computed for.
    static let boundary = ReturnFrame(-2, nil)

    init(_ position: Int32, _ parent: ReturnFrame?) {
        self.position = position
        self.parent = parent
    }
}

/// One parse stack: the terminal element the next byte must match and the return frames
/// under it. `position == -1` is a finished parse (the grammar may end here), `-2` see
/// `boundary`.
struct GrammarStack: Sendable {
    var position: Int32
    var rest: ReturnFrame?

    static let finished = GrammarStack(position: -1, rest: nil)
    /// Popped past a `ReturnFrame.boundary`: the rest depends on frames the masker's cache
    /// does not look at.
    static let boundary = GrammarStack(position: -2, rest: nil)

    @inline(__always) func same(_ o: GrammarStack) -> Bool { position == o.position && rest === o.rest }
}

extension Grammar {
    /// Adds to `out` every stack reachable from element `position` (with frames `rest`)
    /// without consuming a byte: rules are entered, ends return to the frame below. A
    /// reference in tail position pushes no frame, so `x*` loops keep the stack flat.
    func expand(_ position: Int32, _ rest: ReturnFrame?, into out: inout [GrammarStack]) {
        let e = elements[Int(position)]
        if e >= 0 {
            insert(GrammarStack(position: position, rest: rest), into: &out)
        } else if e == -1 {
            if let f = rest {
                if f.position >= 0 { expand(f.position, f.parent, into: &out) } else { insert(.boundary, into: &out) }
            } else {
                insert(.finished, into: &out)
            }
        } else {
            let next = position + 1
            let below = elements[Int(next)] == -1 ? rest : ReturnFrame(next, rest)
            for start in ruleAlternatives[Int(-e - 2)] { expand(start, below, into: &out) }
        }
    }

    @inline(__always) private func insert(_ s: GrammarStack, into out: inout [GrammarStack]) {
        for o in out where o.same(s) { return }
        out.append(s)
    }

    /// The stacks after `byte` from `stacks` (empty: the byte is rejected).
    @inline(__always) func advance(_ stacks: [GrammarStack], _ byte: UInt8, into out: inout [GrammarStack]) {
        out.removeAll(keepingCapacity: true)
        for s in stacks where s.position >= 0 && accepts(elements[Int(s.position)], byte) {
            expand(s.position + 1, s.rest, into: &out)
        }
    }

    /// The stacks before any input.
    var initialStacks: [GrammarStack] {
        var out: [GrammarStack] = []
        guard root < ruleAlternatives.count else { return out }
        for start in ruleAlternatives[root] { expand(start, nil, into: &out) }
        return out
    }
}
