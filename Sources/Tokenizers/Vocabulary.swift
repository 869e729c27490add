import ModelFormats

/// The vocabulary as a GGUF file stores it: token strings, their types and (for
/// SentencePiece) scores, plus the special token ids and flags.
public struct Vocabulary: Sendable {
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public let tokens: [String]
    public let types: [TokenType]
    public let scores: [Float]
    /// Token spelling (UTF-8 bytes: Swift's String equality would merge canonically
    /// equivalent spellings such as "é" and "e\u{301}") → id.
    public let tokenToID: TokenIndex
    public var bos: Int32?
    public var eos: Int32?
    public var unknown: Int32?
    public var eot: Int32?
    public var addBOS: Bool
    public var addEOS: Bool
    public var addSpacePrefix: Bool
    /// Control, user-defined and unknown tokens, longest spelling first: the spellings the
    /// special-token splitter looks for.
    public let specialIDs: [Int32]

    /// With `endOfGenerationIsControl`, tokens spelled like an end of turn are control tokens
    /// whatever the file says (llama.cpp does the same, so both split and hide them alike);
    /// a tokenizer.json's `special` flags are taken as they are.
    public init(tokens: [String], types: [TokenType], scores: [Float], bos: Int32?, eos: Int32?, unknown: Int32?,
                eot: Int32? = nil, addBOS: Bool, addEOS: Bool, addSpacePrefix: Bool, endOfGenerationIsControl: Bool = true) {
        self.tokens = tokens
        var types = types
        for (i, t) in tokens.enumerated() where endOfGenerationIsControl && Self.endOfGenerationSpellings.contains(t) && types[i] != .control {
            types[i] = .control
        }
        self.types = types
        self.scores = scores
        tokenToID = TokenIndex(tokens)
        self.bos = bos
        self.eos = eos
        self.unknown = unknown
        self.eot = eot
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
        specialIDs = types.indices.filter { [.control, .userDefined, .unknown].contains(types[$0]) && !tokens[$0].isEmpty }
            .sorted { (tokens[$0].utf8.count, -$0) > (tokens[$1].utf8.count, -$1) }
            .map { Int32($0) }
    }

    public func type(_ id: Int32) -> TokenType { id >= 0 && Int(id) < types.count ? types[Int(id)] : .normal }

    public func isControl(_ id: Int32) -> Bool {
        let t = type(id)
        return t == .control || t == .unknown
    }

    /// Spellings that end a generation in the chat formats of the common model families.
    static let endOfGenerationSpellings: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>",
        "<|end_of_text|>", "<end_of_utterance>", "<|return|>", "<|call|>",
    ]

    /// End-of-generation tokens: EOS, EOT, and tokens spelled like a turn's end.
    public var endOfGeneration: Set<Int32> {
        var s = Set([eos, eot].compactMap { $0 })
        for id in specialIDs where Self.endOfGenerationSpellings.contains(tokens[Int(id)]) { s.insert(id) }
        return s
    }

    static func load(from f: GGUFFile) throws -> Vocabulary {
        guard let tokens = f.metadata["tokenizer.ggml.tokens"]?.array?.strings else { throw TokenizerError.missing("tokenizer.ggml.tokens") }
        guard !tokens.isEmpty, tokens.count < 1 << 24 else { throw TokenizerError.malformed("\(tokens.count) tokens") }
        var types = [TokenType](repeating: .normal, count: tokens.count)
        if let raw = f.metadata["tokenizer.ggml.token_type"]?.array?.ints {
            guard raw.count == tokens.count else { throw TokenizerError.malformed("\(raw.count) token types for \(tokens.count) tokens") }
            types = raw.map { TokenType(rawValue: Int32(clamping: $0)) ?? .normal }
        }
        var scores = [Float](repeating: 0, count: tokens.count)
        if let raw = f.metadata["tokenizer.ggml.scores"]?.array?.floats {
            guard raw.count == tokens.count else { throw TokenizerError.malformed("\(raw.count) scores for \(tokens.count) tokens") }
            scores = raw
        }
        func id(_ key: String) -> Int32? {
            guard let v = f.metadata["tokenizer.ggml.\(key)"]?.int, v >= 0, v < tokens.count else { return nil }
            return Int32(v)
        }
        let model = f.metadata["tokenizer.ggml.model"]?.string ?? ""
        return Vocabulary(tokens: tokens, types: types, scores: scores, bos: id("bos_token_id"), eos: id("eos_token_id"),
                          unknown: id("unknown_token_id"), eot: id("eot_token_id"),
                          addBOS: f.metadata["tokenizer.ggml.add_bos_token"]?.bool ?? (model == "llama"),
                          addEOS: f.metadata["tokenizer.ggml.add_eos_token"]?.bool ?? false,
                          addSpacePrefix: f.metadata["tokenizer.ggml.add_space_prefix"]?.bool ?? (model == "llama"))
    }
}

extension Vocabulary {
    /// The special tokens llama.cpp makes swallow the whitespace after them: for a model whose
    /// `general.name` says Phi-3 ("phi-3"/"phi3"), every special token and `</s>`, but not
    /// `<unk>`, `<s>`, `<|endoftext|>`; for other models none.
    public func llamaCppRstripIDs(modelName: String?) -> Set<Int32> {
        let name = (modelName ?? "").lowercased()
        guard name.contains("phi-3") || name.contains("phi3") else { return [] }
        func id(_ s: String) -> Int32? { tokenToID[Array(s.utf8)] }
        var ids = Set(specialIDs)
        if let end = id("</s>") { ids.insert(end) }
        for keep in ["<unk>", "<s>", "<|endoftext|>"] { if let k = id(keep) { ids.remove(k) } }
        return ids
    }
}
