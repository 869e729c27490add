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

    var survivors: [[UInt8]] {
        var out: [[UInt8]] = []
        var i = text.isEmpty ? -1 : 0
        while i >= 0 { out.append(text[i]); i = next[i] }
        return out
    }
}
