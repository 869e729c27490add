/// A binary min-heap: the BPE merge queues pop the best pair first.
struct MinHeap<Element> {
    private var items: [Element] = []
    private let less: (Element, Element) -> Bool

    init(by less: @escaping (Element, Element) -> Bool) { self.less = less }

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard less(items[i], items[p]) else { break }
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
                if l < items.count && less(items[l], items[m]) { m = l }
                if r < items.count && less(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

/// Symbols of a word being merged, as a doubly linked list over an array.
struct SymbolList {
    var text: [[UInt8]]
    var prev: [Int]
    var next: [Int]
    var alive: [Bool]

    init(_ pieces: [[UInt8]]) {
        text = pieces
        prev = pieces.indices.map { $0 - 1 }
        next = pieces.indices.map { $0 + 1 < pieces.count ? $0 + 1 : -1 }
        alive = [Bool](repeating: true, count: pieces.count)
    }

    /// Merges the right neighbour of `left` into it.
    mutating func merge(_ left: Int) {
        let right = next[left]
        text[left] += text[right]
        alive[right] = false
        next[left] = next[right]
        if next[right] >= 0 { prev[next[right]] = left }
    }

    /// Repeatedly merges the adjacent pair with the lowest `cost` (leftmost on ties) until
    /// no pair has one. `cost(left, right)` is nil for pairs that may not merge.
    mutating func mergeAll(cost: ([UInt8], [UInt8]) -> Double?) {
        struct Pair { let cost: Double; let left: Int; let length: Int }
        var queue = MinHeap<Pair> { ($0.cost, $0.left) < ($1.cost, $1.left) }
        func consider(_ left: Int) {
            let right = next[left]
            guard left >= 0, right >= 0, let c = cost(text[left], text[right]) else { return }
            queue.push(Pair(cost: c, left: left, length: text[left].count + text[right].count))
        }
        for i in text.indices.dropLast() { consider(i) }
        while let p = queue.pop() {
            let right = next[p.left]
            // Skip pairs made stale by an earlier merge.
            guard alive[p.left], right >= 0, text[p.left].count + text[right].count == p.length else { continue }
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
