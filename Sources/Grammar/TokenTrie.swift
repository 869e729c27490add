import Foundation

/// A byte trie of (part of) a vocabulary, flattened in depth-first order so a walk can skip
/// a whole subtree with one jump: node `i` consumes `bytes[i]` at `depth[i]` (1-based) and
/// its subtree ends just before node `subtreeEnd[i]`.
struct TokenTrie: Sendable {
    let bytes: [UInt8]        // (numNodes)
    let depth: [Int32]        // (numNodes)
    let subtreeEnd: [Int32]   // (numNodes)
    /// Tokens ending at node i: `tokens[tokenStart[i] ..< tokenStart[i + 1]]`, in byte order
    /// overall (a depth-first walk meets them sorted). // (numNodes + 1)
    let tokenStart: [Int32]
    let tokens: [Int32]       // (numTokensInTrie)
    let maxDepth: Int

    /// The trie of every token with bytes.
    init(vocabulary: [[UInt8]]) {
        self.init(vocabulary: vocabulary, sortedIDs: Self.sortedByBytes(vocabulary))
    }

    /// The trie of `sortedIDs`: tokens with bytes, already in byte order (as a walk of another
    /// trie of the same vocabulary collects them).
    init(vocabulary: [[UInt8]], sortedIDs order: [Int32]) {
        var bytes: [UInt8] = [], depth: [Int32] = [], subtreeEnd: [Int32] = []
        var ending: [Int32] = []  // (numTokensInTrie) node each token ends at, nondecreasing
        var path: [Int32] = []    // open nodes, by depth
        var previous: [UInt8] = []
        for t in order {
            let b = vocabulary[Int(t)]
            var lcp = 0
            while lcp < min(b.count, previous.count), b[lcp] == previous[lcp] { lcp += 1 }
            while path.count > lcp { subtreeEnd[Int(path.removeLast())] = Int32(bytes.count) }
            for d in lcp..<b.count {
                path.append(Int32(bytes.count))
                bytes.append(b[d])
                depth.append(Int32(d + 1))
                subtreeEnd.append(0)
            }
            ending.append(path[b.count - 1])
            previous = b
        }
        for n in path { subtreeEnd[Int(n)] = Int32(bytes.count) }
        var start = [Int32](repeating: 0, count: bytes.count + 1)
        for n in ending { start[Int(n) + 1] += 1 }
        for i in 0..<bytes.count { start[i + 1] += start[i] }
        self.bytes = bytes
        self.depth = depth
        self.subtreeEnd = subtreeEnd
        self.tokenStart = start
        self.tokens = order
        self.maxDepth = Int(depth.max() ?? 0)
    }

    /// Ids of the tokens with bytes, sorted by their bytes: by their first 8 bytes as one
    /// big-endian integer (zero-padded, which keeps the order), ties by memcmp over one flat
    /// copy. Sorting the arrays themselves is several times slower.
    static func sortedByBytes(_ vocabulary: [[UInt8]]) -> [Int32] {
        var flat: [UInt8] = []   // (totalBytes)
        var offset: [Int] = []   // (count + 1)
        flat.reserveCapacity(vocabulary.reduce(0) { $0 + $1.count })
        var keyed: [(prefix: UInt64, id: Int32)] = []
        for (i, t) in vocabulary.enumerated() {
            offset.append(flat.count)
            flat += t
            guard !t.isEmpty else { continue }
            var prefix: UInt64 = 0
            for k in 0..<8 { prefix = prefix << 8 | UInt64(k < t.count ? t[k] : 0) }
            keyed.append((prefix, Int32(i)))
        }
        offset.append(flat.count)
        flat.withUnsafeBufferPointer { f in
            offset.withUnsafeBufferPointer { o in
                guard let base = f.baseAddress else { return }  // no bytes: no tokens to sort
                keyed.sort { x, y in
                    if x.prefix != y.prefix { return x.prefix < y.prefix }
                    let (a, b) = (Int(x.id), Int(y.id))
                    let (la, lb) = (o[a + 1] - o[a], o[b + 1] - o[b])
                    let c = memcmp(base + o[a], base + o[b], min(la, lb))
                    return c != 0 ? c < 0 : la < lb
                }
            }
        }
        return keyed.map(\.id)
    }

    var nodeCount: Int { bytes.count }
}
