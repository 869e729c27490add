import HeapModule

/// Symbols of a word being merged, as a doubly linked list over an array.
struct SymbolList {
    /// (symbols) the spelling of each; empty once merged into its left neighbour
    var text: [[UInt8]]
    var prev: [Int]
    var next: [Int]

    init(_ pieces: [[UInt8]]) {
        text = pieces
        prev = pieces.indices.map { $0 - 1 }
        next = pieces.indices.map { $0 + 1 < pieces.count ? $0 + 1 : -1 }
    }

    /// Merges the right neighbour of `left` into it.
    mutating func merge(_ left: Int) {
        let right = next[left]
        text[left] += text[right]
        text[right] = []
        next[left] = next[right]
        if next[right] >= 0 { prev[next[right]] = left }
    }

    /// Repeatedly merges the adjacent pair with the lowest `cost` (leftmost on ties) until
    /// no pair has one. `cost(left, right)` is nil for pairs that may not merge.
    mutating func mergeAll(cost: ([UInt8], [UInt8]) -> Double?) {
        struct Pair: Comparable {
            let cost: Double, left: Int, length: Int
            static func < (a: Pair, b: Pair) -> Bool { (a.cost, a.left) < (b.cost, b.left) }
        }
        var queue = Heap<Pair>()
        func consider(_ left: Int) {
            let right = next[left]
            guard left >= 0, right >= 0, let c = cost(text[left], text[right]) else { return }
            queue.insert(Pair(cost: c, left: left, length: text[left].count + text[right].count))
        }
        for i in text.indices.dropLast() { consider(i) }
        while let p = queue.popMin() {
            let right = next[p.left]
            // Skip pairs made stale by an earlier merge.
            guard !text[p.left].isEmpty, right >= 0, text[p.left].count + text[right].count == p.length else { continue }
            merge(p.left)
            if prev[p.left] >= 0 { consider(prev[p.left]) }
            consider(p.left)
        }
    }

    var survivors: [[UInt8]] {
        var out: [[UInt8]] = []
        var i = text.isEmpty ? -1 : 0
        while i >= 0 { out.append(text[i]); i = next[i] }
        return out
    }
}
