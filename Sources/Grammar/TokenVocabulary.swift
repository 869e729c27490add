/// A model's vocabulary as token masks need it, independent of any grammar: each token's
/// bytes and a byte trie of them. Build one per model (it sorts every token's bytes) and
/// share it between the `TokenMasker`s of all grammars; immutable, so any thread may use it.
public final class TokenVocabulary: Sendable {
    /// Each token's bytes; empty for control tokens (never allowed). // (count)
    public let tokens: [[UInt8]]
    /// Every token with bytes, in byte order.
    let trie: TokenTrie

    /// `tokenBytes[i]`: token i's bytes (empty: never allowed; the caller handles EOS).
    public init(tokenBytes: [[UInt8]]) {
        tokens = tokenBytes
        trie = TokenTrie(vocabulary: tokenBytes)
    }

    /// Number of tokens (the mask's bit count).
    public var count: Int { tokens.count }

    /// Number of UInt32 words a mask has: one bit per token, token t at bit t % 32 of word t / 32.
    public var maskWords: Int { (tokens.count + 31) / 32 }
}
