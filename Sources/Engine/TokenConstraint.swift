import Grammar

/// What a request's generated text must match: a grammar compiled against the model's
/// vocabulary (one `TokenMasker`, shared by every request with the same grammar), applied
/// from the first generated token, or only once a trigger has appeared (a tool call the
/// model opens on its own).
public final class TokenConstraint: Sendable {
    public let masker: TokenMasker
    /// Bytes that switch the grammar on (nil: on from the first token). The grammar then
    /// matches what follows them; the bytes of the token that completed the trigger past its
    /// end are its first input.
    public let trigger: [UInt8]?
    /// Tokens that switch the grammar on by themselves (a trigger spelled as one control
    /// token, whose bytes the masker's vocabulary leaves empty).
    public let triggerTokens: Set<Int32>

    public init(masker: TokenMasker, trigger: [UInt8]? = nil, triggerTokens: Set<Int32> = []) {
        self.masker = masker
        self.trigger = trigger
        self.triggerTokens = triggerTokens
    }

    /// Whether the grammar is on from the start.
    public var isEager: Bool { trigger == nil && triggerTokens.isEmpty }
}
