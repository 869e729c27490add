import JSON

/// The tokenizer.json parts around the model: normalizer, pre-tokenizer, decoder and
/// post-processor. What Tern does not implement is `TokenizerError.unsupported`, naming it.
extension HFTokenizerJSON {
    /// `normalizer`: null, NFC/NFD/NFKC/NFKD, or a Sequence of those.
    static func normalizer(_ node: JSONField) throws -> [PreTokenizerPipeline.Normalization] {
        if node.isNull { return [] }
        let type = try node.type()
        if type == "Sequence" { return try node["normalizers"].array().flatMap(normalizer) }
        guard let n = PreTokenizerPipeline.Normalization(rawValue: type) else {
            throw TokenizerError.unsupported(part: "normalizer", "'\(type)' (Tern has NFC, NFD, NFKC, NFKD and Sequence)")
        }
        return [n]
    }

    /// `pre_tokenizer`: Split steps with a known pattern (behavior Isolated), then ByteLevel
    /// last (the byte-level mapping happens after every split), alone or in a Sequence.
    static func preTokenizer(_ node: JSONField) throws -> [PreTokenizerPipeline.Step] {
        if node.isNull { throw TokenizerError.unsupported(part: "pre_tokenizer", "none (a ByteLevel pre-tokenizer is needed)") }
        func flatten(_ n: JSONField) throws -> [JSONField] { try n.type() == "Sequence" ? n["pretokenizers"].array().flatMap(flatten) : [n] }
        let parts = try flatten(node)
        var steps: [PreTokenizerPipeline.Step] = []
        for (i, part) in parts.enumerated() {
            switch try part.type() {
            case "ByteLevel":
                guard i == parts.count - 1 else { throw TokenizerError.unsupported(part: "pre_tokenizer", "steps after ByteLevel") }
                if try part["add_prefix_space"].bool(default: true) { steps.append(.addPrefixSpace) }
                if try part["use_regex"].bool(default: true) { steps.append(.split(.gpt2)) }
                return steps
            case "Split":
                guard let regex = part["pattern"]["Regex"].value?.stringValue else {
                    throw TokenizerError.unsupported(part: "pre_tokenizer", "Split without a Regex pattern")
                }
                guard let scanner = PreTokenizer(regex: regex) else {
                    throw TokenizerError.unsupported(part: "pre_tokenizer", "Split pattern \(regex) (Tern knows GPT-2's, Llama 3's and Qwen2's)")
                }
                let behavior = try part["behavior"].string(), inverted = try part["invert"].bool(default: false)
                guard behavior == "Isolated", !inverted else {
                    throw TokenizerError.unsupported(part: "pre_tokenizer", "Split behavior \(behavior)\(inverted ? " inverted" : "")")
                }
                steps.append(.split(scanner))
            case let other:
                throw TokenizerError.unsupported(part: "pre_tokenizer", "'\(other)' (Tern has ByteLevel, Split and Sequence)")
            }
        }
        throw TokenizerError.unsupported(part: "pre_tokenizer", "no ByteLevel step (Tern's BPE is byte-level)")
    }

    /// `decoder`: ByteLevel, alone or as the only kind in a Sequence.
    static func checkDecoder(_ node: JSONField) throws {
        if node.isNull { throw TokenizerError.unsupported(part: "decoder", "none (ByteLevel is needed)") }
        let type = try node.type()
        if type == "Sequence" { return try node["decoders"].array().forEach(checkDecoder) }
        guard type == "ByteLevel" else { throw TokenizerError.unsupported(part: "decoder", "'\(type)' (Tern has ByteLevel)") }
    }

    /// `post_processor`: null, ByteLevel (ids unchanged), TemplateProcessing with at most one
    /// special token before `$A` (BOS) and one after (EOS), or a Sequence of those.
    static func postProcessor(_ node: JSONField) throws -> (prefix: Int32?, suffix: Int32?) {
        if node.isNull { return (nil, nil) }
        switch try node.type() {
        case "ByteLevel": return (nil, nil)
        case "Sequence":  // a later processor's tokens win
            return try node["processors"].array().map(postProcessor)
                .reduce((prefix: nil, suffix: nil)) { ($1.prefix ?? $0.prefix, $1.suffix ?? $0.suffix) }
        case "TemplateProcessing":
            let items = try node["single"].array()
            guard let sequence = items.firstIndex(where: { !$0["Sequence"].isNull }) else {
                throw TokenizerError.malformed("\(node.path).single has no $A")
            }
            func id(_ item: JSONField) throws -> Int32 {
                let name = try item["SpecialToken"]["id"].string()
                let ids = try node["special_tokens"][name]["ids"].array()
                guard ids.count == 1 else { throw TokenizerError.unsupported(part: "post_processor", "special token \(name) of \(ids.count) ids") }
                return try ids[0].id()
            }
            guard sequence <= 1, items.count - sequence <= 2 else {
                throw TokenizerError.unsupported(part: "post_processor", "TemplateProcessing with more than one token on a side of $A")
            }
            return (try items.prefix(sequence).first.map(id), try items.dropFirst(sequence + 1).first.map(id))
        case let other:
            throw TokenizerError.unsupported(part: "post_processor", "'\(other)' (Tern has ByteLevel, TemplateProcessing and Sequence)")
        }
    }
}
