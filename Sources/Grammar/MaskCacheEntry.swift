/// What a cache key decides on its own: the tokens accepted whatever the frames below are,
/// and a trie of the tokens that depend on them (nil when none). Rejected tokens are
/// neither. Deep in a bounded repetition an entry may cover only the tokens of one of
/// `TokenVocabulary.longTries` and take the shorter ones from `base` (`RepetitionLevels`).
final class MaskCacheEntry: Sendable {
    /// Accepted tokens as ids (few) or a bitset (many). // (n) or (maskWords)
    private let acceptedIDs: [Int32]
    private let acceptedBits: [UInt32]
    let dependent: TokenTrie?
    /// The entry whose accepted tokens shorter than length step `baseStep` are this key's
    /// too (its dependent tokens are walked as well); it has no base itself.
    let base: MaskCacheEntry?
    let baseStep: Int

    /// Walks the vocabulary trie from `start` (whose last frame is `ReturnFrame.boundary`, or
    /// none for a complete stack), through `scratch`'s automaton. A token is accepted if a
    /// parse is alive after its last byte (popping past the boundary exactly at its end
    /// counts: what follows cannot undo bytes already matched); dependent if, with bytes
    /// left, a parse popped past the boundary; rejected otherwise.
    /// The walk covers `trie` (the whole vocabulary's, or with `base`, `longTries[baseStep]`).
    init(grammar: Grammar, vocabulary: TokenVocabulary, trie: TokenTrie, start: GrammarStack, scratch: inout MaskScratch,
         base: MaskCacheEntry? = nil, baseStep: Int = 0) {
        self.base = base
        self.baseStep = baseStep
        var bits = [UInt32](repeating: 0, count: vocabulary.maskWords)
        var dependent: [Int32] = []
        var automaton = StackSetAutomaton()
        swap(&automaton, &scratch.automaton)
        let count = Self.walk(trie, grammar, start, &automaton, &scratch, &bits, &dependent)
        swap(&automaton, &scratch.automaton)
        if count * 32 > vocabulary.count {
            acceptedBits = bits
            acceptedIDs = []
        } else {
            acceptedBits = []
            var ids: [Int32] = []
            ids.reserveCapacity(count)
            for (w, word) in bits.enumerated() where word != 0 {
                var x = word
                while x != 0 { ids.append(Int32(w << 5 | x.trailingZeroBitCount)); x &= x - 1 }
            }
            acceptedIDs = ids
        }
        // Collected in trie order, which is byte order: no sort needed.
        self.dependent = dependent.isEmpty ? nil : TokenTrie(vocabulary: vocabulary.tokens, sortedIDs: dependent)
    }

    /// The walk: sets accepted tokens' bits, appends dependent ones; returns how many were accepted.
    private static func walk(_ trie: TokenTrie, _ grammar: Grammar, _ start: GrammarStack, _ automaton: inout StackSetAutomaton,
                             _ scratch: inout MaskScratch, _ bits: inout [UInt32], _ dependent: inout [Int32]) -> Int {
        scratch.prepareWalk(depth: trie.maxDepth)
        scratch.stateAt[0] = automaton.reset(start: [start])
        let (depth, bytes, tokenStart, tokens, subtreeEnd) = (trie.depth, trie.bytes, trie.tokenStart, trie.tokens, trie.subtreeEnd)
        var accepted = 0
        var i = 0
        while i < trie.nodeCount {
            let d = Int(depth[i])
            let s = automaton.next(scratch.stateAt[d - 1], bytes[i], grammar)
            let flags = automaton.flags[Int(s)]
            let beyond = scratch.beyond[d - 1]
            let (lo, hi) = (Int(tokenStart[i]), Int(tokenStart[i + 1]))
            if s != StackSetAutomaton.dead {
                for k in lo..<hi { let t = Int(tokens[k]); bits[t >> 5] |= 1 << UInt32(t & 31) }
                accepted += hi - lo
            } else if beyond {
                dependent += tokens[lo..<hi]
            }
            let boundary = beyond || flags & StackSetAutomaton.boundaryFlag != 0
            if flags & StackSetAutomaton.liveFlag == 0 {
                let end = Int(subtreeEnd[i])
                if boundary { dependent += tokens[hi..<Int(tokenStart[end])] }
                i = end
                continue
            }
            scratch.stateAt[d] = s
            scratch.beyond[d] = boundary
            i += 1
        }
        return accepted
    }

    /// ORs the accepted tokens into `mask` (the base's short ones too).
    func addAccepted(to mask: UnsafeMutablePointer<UInt32>, vocabulary: TokenVocabulary) {
        if let base {
            vocabulary.shortMasks[baseStep].withUnsafeBufferPointer { base.addAccepted(to: mask, only: $0.baseAddress) }
        }
        addAccepted(to: mask, only: nil)
    }

    /// ORs the accepted tokens that are also in `filter` (nil: all) into `mask`.
    private func addAccepted(to mask: UnsafeMutablePointer<UInt32>, only filter: UnsafePointer<UInt32>?) {
        if !acceptedBits.isEmpty {
            acceptedBits.withUnsafeBufferPointer { b in
                if let filter {
                    for w in 0..<b.count { mask[w] |= b[w] & filter[w] }
                } else {
                    for w in 0..<b.count { mask[w] |= b[w] }
                }
            }
        } else {
            for t in acceptedIDs {
                let (w, bit) = (Int(t) >> 5, UInt32(1) << (UInt32(t) & 31))
                if let filter, filter[w] & bit == 0 { continue }
                mask[w] |= bit
            }
        }
    }
}
