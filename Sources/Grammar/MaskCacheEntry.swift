/// What a cache key decides on its own: the tokens accepted whatever the frames below are,
/// and a trie of the tokens that depend on them (nil when none). Rejected tokens are
/// neither.
final class MaskCacheEntry: Sendable {
    /// Accepted tokens as ids (few) or a bitset (many). // (n) or (maskWords)
    private let acceptedIDs: [Int32]
    private let acceptedBits: [UInt32]
    let dependent: TokenTrie?

    /// Walks the vocabulary trie from `start` (whose last frame is `ReturnFrame.boundary`, or
    /// none for a complete stack). A token is accepted if a parse is alive after its last
    /// byte (popping past the boundary exactly at its end counts: what follows cannot undo
    /// bytes already matched); dependent if, with bytes left, a parse popped past the
    /// boundary; rejected otherwise.
    init(masker: TokenMasker, start: GrammarStack, scratch: inout MaskScratch) {
        let trie = masker.trie
        var accepted: [Int32] = [], dependent: [Int32] = []
        scratch.prepare(depth: trie.maxDepth, initial: [start])
        var beyond = [Bool](repeating: false, count: trie.maxDepth + 1)  // a boundary on the path above depth d
        var i = 0
        while i < trie.nodeCount {
            let d = Int(trie.depth[i])
            let parent = scratch.states[d - 1]
            masker.grammar.advance(parent, trie.bytes[i], into: &scratch.states[d])
            let states = scratch.states[d]
            let here = Int(trie.tokenStart[i])..<Int(trie.tokenStart[i + 1])
            if !states.isEmpty {
                accepted += trie.tokens[here]
            } else if beyond[d - 1] {
                dependent += trie.tokens[here]
            }
            let live = states.contains { $0.position >= 0 }
            let boundary = beyond[d - 1] || states.contains { $0.position == -2 }
            if !live {
                if boundary { dependent += trie.tokens[Int(trie.tokenStart[i + 1])..<Int(trie.tokenStart[Int(trie.subtreeEnd[i])])] }
                i = Int(trie.subtreeEnd[i])
                continue
            }
            beyond[d] = boundary
            i += 1
        }
        if accepted.count * 32 > masker.vocabulary.count {
            var bits = [UInt32](repeating: 0, count: masker.maskWords)
            for t in accepted { bits[Int(t) >> 5] |= 1 << (UInt32(t) & 31) }
            acceptedBits = bits
            acceptedIDs = []
        } else {
            acceptedBits = []
            acceptedIDs = accepted
        }
        self.dependent = dependent.isEmpty ? nil : TokenTrie(vocabulary: masker.vocabulary, ids: dependent)
    }

    /// ORs the accepted tokens into `mask`.
    func addAccepted(to mask: UnsafeMutablePointer<UInt32>) {
        if !acceptedBits.isEmpty {
            acceptedBits.withUnsafeBufferPointer { b in
                for w in 0..<b.count { mask[w] |= b[w] }
            }
        } else {
            for t in acceptedIDs { mask[Int(t) >> 5] |= 1 << (UInt32(t) & 31) }
        }
    }
}
