/// Text ↔ token ids for one model.
public protocol Tokenizer: Sendable {
    var vocabularySize: Int { get }
    var bosTokenID: Int32? { get }
    var eosTokenID: Int32? { get }
    /// Whether `encode(_, addSpecial: true, …)` prepends BOS.
    var addBOS: Bool { get }
    /// Tokens that end generation: EOS, end-of-turn and similar.
    var eogTokenIDs: Set<Int32> { get }
    /// `addSpecial` adds BOS/EOS as the model asks; `parseSpecial` turns control-token
    /// spellings in the text (e.g. `<|im_start|>`) into those tokens.
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32]
    /// Concatenated bytes of the tokens, as text (invalid UTF-8 becomes U+FFFD).
    func decode(_ ids: [Int32], skipSpecial: Bool) -> String
    /// The bytes token `id` contributes to decoded text (control tokens: their spelling).
    func tokenBytes(_ id: Int32) -> [UInt8]
    /// The raw vocabulary entry.
    func tokenText(_ id: Int32) -> String?
    /// Whether `id` is a control (or unknown) token, hidden when decoding with skipSpecial.
    func isControl(_ id: Int32) -> Bool
}

extension Tokenizer {
    public func decode(_ ids: [Int32], skipSpecial: Bool = true) -> String {
        var bytes: [UInt8] = []
        for id in ids where !(skipSpecial && isControl(id)) { bytes += tokenBytes(id) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
