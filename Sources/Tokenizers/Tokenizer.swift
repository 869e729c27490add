/// Text ↔ token ids for one model.
public protocol Tokenizer: Sendable {
    /// The tokens, their types and scores, the special ids and flags.
    var vocabulary: Vocabulary { get }
    /// `addSpecial` adds BOS/EOS as the model asks; `parseSpecial` turns control-token
    /// spellings in the text (e.g. `<|im_start|>`) into those tokens.
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32]
    /// The bytes token `id` contributes to decoded text (control tokens: their spelling).
    func tokenBytes(_ id: Int32) -> [UInt8]
    /// The text of `ids`; `skipSpecial` leaves control tokens out. By default the tokens'
    /// bytes end to end (invalid UTF-8 becomes U+FFFD).
    func decode(_ ids: [Int32], skipSpecial: Bool) -> String
}

extension Tokenizer {
    public var vocabularySize: Int { vocabulary.tokens.count }
    public var bosTokenID: Int32? { vocabulary.bos }
    public var eosTokenID: Int32? { vocabulary.eos }
    /// Whether `encode(_, addSpecial: true, …)` prepends BOS.
    public var addBOS: Bool { vocabulary.addBOS }
    /// Tokens that end generation: EOS, end-of-turn and similar.
    public var eogTokenIDs: Set<Int32> { vocabulary.endOfGeneration }
    /// The raw vocabulary entry.
    public func tokenText(_ id: Int32) -> String? { id >= 0 && Int(id) < vocabularySize ? vocabulary.tokens[Int(id)] : nil }
    /// Whether `id` is a control (or unknown) token, hidden when decoding with skipSpecial.
    public func isControl(_ id: Int32) -> Bool { vocabulary.isControl(id) }

    public func decode(_ ids: [Int32], skipSpecial: Bool) -> String {
        var bytes: [UInt8] = []
        for id in ids where !(skipSpecial && isControl(id)) { bytes += tokenBytes(id) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The text of `ids` without control tokens.
    public func decode(_ ids: [Int32]) -> String { decode(ids, skipSpecial: true) }
}
