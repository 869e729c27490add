extension GrammarLowering {
    /// Throws `leftRecursion` for a rule that can reach itself through a chain of rules each
    /// at a position whose preceding elements can all match nothing: the matcher would expand
    /// it forever.
    func checkLeftRecursion() throws {
        let nullable = nullableRules()
        var edges: [[Int]] = Array(repeating: [], count: rules.count)
        for (r, alts) in rules.enumerated() {
            for alt in alts {
                for e in alt {
                    guard case .ref(let t) = e else { break }
                    edges[r].append(t)
                    if !nullable[t] { break }
                }
            }
        }
        // Iterative DFS with colors: 1 = on the path, 2 = finished.
        var color = Array(repeating: 0, count: rules.count)
        for start in 0..<rules.count where color[start] == 0 {
            var path: [(rule: Int, next: Int)] = [(start, 0)]
            color[start] = 1
            while let top = path.last {
                if top.next == edges[top.rule].count {
                    color[top.rule] = 2
                    path.removeLast()
                    continue
                }
                path[path.count - 1].next += 1
                let t = edges[top.rule][top.next]
                if color[t] == 1 { throw GrammarError.leftRecursion(displayName(t, path: path.map(\.rule))) }
                if color[t] == 0 { color[t] = 1; path.append((t, 0)) }
            }
        }
    }

    /// A helper rule's error names the nearest named rule on the path.
    private func displayName(_ r: Int, path: [Int]) -> String {
        if !names[r].hasPrefix("_") { return names[r] }
        return path.reversed().map { names[$0] }.first { !$0.hasPrefix("_") } ?? names[r]
    }

    /// Drops alternatives that reference rules matching nothing (so every expansion of a
    /// reference yields a stack: the masker's caches rely on it); throws if the root matches
    /// nothing.
    mutating func pruneUnproductive(root: Int) throws {
        var productive = Array(repeating: false, count: rules.count)
        var changed = true
        while changed {
            changed = false
            for (r, alts) in rules.enumerated() where !productive[r] {
                let ok = alts.contains { alt in alt.allSatisfy { if case .ref(let t) = $0 { return productive[t] } else { return true } } }
                if ok { productive[r] = true; changed = true }
            }
        }
        guard productive[root] else { throw GrammarError.empty("the grammar matches nothing") }
        for r in rules.indices {
            rules[r] = rules[r].filter { alt in alt.allSatisfy { if case .ref(let t) = $0 { return productive[t] } else { return true } } }
        }
    }

    /// Which rules can match the empty string (fixpoint).
    func nullableRules() -> [Bool] {
        var nullable = Array(repeating: false, count: rules.count)
        var changed = true
        while changed {
            changed = false
            for (r, alts) in rules.enumerated() where !nullable[r] {
                let canBeEmpty = alts.contains { alt in
                    alt.allSatisfy { if case .ref(let t) = $0 { return nullable[t] } else { return false } }
                }
                if canBeEmpty { nullable[r] = true; changed = true }
            }
        }
        return nullable
    }

    /// The flat tables of `Grammar`: elements (set index, -1 end, -(rule + 2) reference) and
    /// each rule's alternative starts.
    func flatten(root: Int) -> Grammar {
        var elements: [Int32] = []
        var starts: [[Int32]] = []
        for alts in rules {
            var ruleStarts: [Int32] = []
            for alt in alts {
                ruleStarts.append(Int32(elements.count))
                for e in alt {
                    switch e {
                    case .set(let s): elements.append(s)
                    case .ref(let t): elements.append(-Int32(t) - 2)
                    }
                }
                elements.append(-1)
            }
            starts.append(ruleStarts)
        }
        return Grammar(elements: elements, byteSets: sets.flatMap(\.array), ruleAlternatives: starts,
                       ruleNames: names, root: root, repetitionChains: chains.map { $0.map(Int32.init) })
    }
}
