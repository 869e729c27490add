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
        var queue = MinHeap<Pair>()
        func consider(_ left: Int) {
            let right = next[left]
            guard left >= 0, right >= 0, let c = cost(text[left], text[right]) else { return }
            queue.push(Pair(cost: c, left: left, length: text[left].count + text[right].count))
        }
        for i in text.indices.dropLast() { consider(i) }
        while let p = queue.pop() {
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

/// A binary min-heap: the BPE merge queues pop the best pair first.
private struct MinHeap<Element: Comparable> {
    private var items: [Element] = []

    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard items[i] < items[p] else { break }
            items.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> Element? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l] < items[m] { m = l }
                if r < items.count && items[r] < items[m] { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
