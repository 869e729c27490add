/// A byte trie of (part of) a vocabulary, flattened in depth-first order so a walk can skip
/// a whole subtree with one jump: node `i` consumes `bytes[i]` at `depth[i]` (1-based) and
/// its subtree ends just before node `subtreeEnd[i]`.
struct TokenTrie: Sendable {
    let bytes: [UInt8]        // (numNodes)
    let depth: [Int32]        // (numNodes)
    let subtreeEnd: [Int32]   // (numNodes)
    /// Tokens ending at node i: `tokens[tokenStart[i] ..< tokenStart[i + 1]]`. // (numNodes + 1)
    let tokenStart: [Int32]
    let tokens: [Int32]       // (numTokensInTrie)
    let maxDepth: Int

    /// The trie of `ids` (all tokens when nil); tokens with no bytes are left out.
    init(vocabulary: [[UInt8]], ids: [Int32]? = nil) {
        let order = (ids ?? (0..<Int32(vocabulary.count)).map { $0 })
            .filter { !vocabulary[Int($0)].isEmpty }
            .sorted { vocabulary[Int($0)].lexicographicallyPrecedes(vocabulary[Int($1)]) }
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

    var nodeCount: Int { bytes.count }
}
