/// A model's vocabulary as token masks need it, independent of any grammar: each token's
/// bytes and a byte trie of them. Build one per model (it sorts every token's bytes) and
/// share it between the `TokenMasker`s of all grammars; immutable, so any thread may use it.
public final class TokenVocabulary: Sendable {
    /// Each token's bytes; empty for control tokens (never allowed). // (count)
    public let tokens: [[UInt8]]
    /// Every token with bytes, in byte order.
    let trie: TokenTrie
    /// Token lengths that split the vocabulary for entries deep in a bounded repetition
    /// (`RepetitionLevels`): the tokens shorter than a step come from another entry.
    static let lengthSteps = [4, 8, 16, 32]
    /// Per step: a trie of the tokens at least that many bytes long.
    let longTries: [TokenTrie]
    /// Per step: the tokens with bytes shorter than it. // (lengthSteps.count, maskWords)
    let shortMasks: [[UInt32]]

    /// `tokenBytes[i]`: token i's bytes (empty: never allowed; the caller handles EOS).
    public init(tokenBytes: [[UInt8]]) {
        tokens = tokenBytes
        let trie = TokenTrie(vocabulary: tokenBytes)
        self.trie = trie
        longTries = Self.lengthSteps.map { step in
            TokenTrie(vocabulary: tokenBytes, sortedIDs: trie.tokens.filter { tokenBytes[Int($0)].count >= step })
        }
        shortMasks = Self.lengthSteps.map { step in
            var bits = [UInt32](repeating: 0, count: (tokenBytes.count + 31) / 32)
            for (t, b) in tokenBytes.enumerated() where !b.isEmpty && b.count < step { bits[t >> 5] |= 1 << UInt32(t & 31) }
            return bits
        }
    }

    /// Number of tokens (the mask's bit count).
    public var count: Int { tokens.count }

    /// Number of UInt32 words a mask has: one bit per token, token t at bit t % 32 of word t / 32.
    public var maskWords: Int { (tokens.count + 31) / 32 }

    /// The largest length step ≤ `level` (index into `longTries`/`shortMasks`), if any.
    func lengthStep(atMost level: Int32) -> Int? {
        Self.lengthSteps.lastIndex { $0 <= level }
    }
}
