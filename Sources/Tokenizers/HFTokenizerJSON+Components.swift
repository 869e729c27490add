import JSON

/// The tokenizer.json parts around the model: normalizer, pre-tokenizer, decoder and
/// post-processor. What Tern does not implement is `TokenizerError.unsupported`, naming it.
extension HFTokenizerJSON {
    /// `normalizer`: null, NFC/NFD/NFKC/NFKD, Prepend, Replace of a String pattern, or a
    /// Sequence of those.
    static func normalizer(_ node: JSONField) throws -> [PreTokenizerPipeline.Normalization] {
        if node.isNull { return [] }
        switch try node.type() {
        case "Sequence": return try node["normalizers"].array().flatMap(normalizer)
        case "Prepend": return [.prepend(try node["prepend"].string())]
        case "Replace": return [.replace(try stringPattern(node, "normalizer"), with: try node["content"].string())]
        case let type:
            guard let n = PreTokenizerPipeline.Normalization(form: type) else {
                throw TokenizerError.unsupported(part: "normalizer", "'\(type)' (Tern has NFC, NFD, NFKC, NFKD, Prepend, Replace and Sequence)")
            }
            return [n]
        }
    }

    /// The non-empty `pattern` of a Replace normalizer or decoder (`{"String": …}`; a Regex
    /// pattern is unsupported).
    static func stringPattern(_ node: JSONField, _ part: String) throws -> String {
        guard let s = node["pattern"]["String"].value?.stringValue else {
            throw TokenizerError.unsupported(part: part, "Replace without a String pattern")
        }
        guard !s.isEmpty else { throw TokenizerError.malformed("\(node.path).pattern is empty") }
        return s
    }

    /// `pre_tokenizer`: Split steps with a known pattern (behavior Isolated), then either
    /// ByteLevel last (the byte-level mapping happens after every split; `byteLevel` is true)
    /// or Metaspace; alone or in a Sequence. Null: the fragment is one word.
    static func preTokenizer(_ node: JSONField) throws -> (steps: [PreTokenizerPipeline.Step], byteLevel: Bool) {
        if node.isNull { return ([], false) }
        func flatten(_ n: JSONField) throws -> [JSONField] { try n.type() == "Sequence" ? n["pretokenizers"].array().flatMap(flatten) : [n] }
        let parts = try flatten(node)
        var steps: [PreTokenizerPipeline.Step] = []
        for (i, part) in parts.enumerated() {
            switch try part.type() {
            case "ByteLevel":
                guard i == parts.count - 1 else { throw TokenizerError.unsupported(part: "pre_tokenizer", "steps after ByteLevel") }
                if steps.contains(where: { if case .metaspace = $0 { return true } else { return false } }) {
                    throw TokenizerError.unsupported(part: "pre_tokenizer", "ByteLevel after Metaspace")
                }
                if try part["add_prefix_space"].bool(default: true) { steps.append(.addPrefixSpace) }
                if try part["use_regex"].bool(default: true) { steps.append(.split(.gpt2)) }
                return (steps, true)
            case "Metaspace":
                let (replacement, prepend) = try metaspace(part, "pre_tokenizer")
                steps.append(.metaspace(replacement: replacement, prepend: prepend, split: try part["split"].bool(default: true)))
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
                throw TokenizerError.unsupported(part: "pre_tokenizer", "'\(other)' (Tern has ByteLevel, Metaspace, Split and Sequence)")
            }
        }
        return (steps, false)
    }

    /// A Metaspace pre-tokenizer's or decoder's replacement (one character) and prepend
    /// scheme (files before `tokenizers` 0.19: `add_prefix_space`, true meaning always).
    static func metaspace(_ node: JSONField, _ part: String) throws -> (String, PreTokenizerPipeline.PrependScheme) {
        let replacement = try node["replacement"].string()
        guard replacement.unicodeScalars.count == 1 else { throw TokenizerError.malformed("\(node.path).replacement '\(replacement)' is not one character") }
        if node["prepend_scheme"].isNull { return (replacement, try node["add_prefix_space"].bool(default: true) ? .always : .never) }
        let scheme = try node["prepend_scheme"].string()
        guard let prepend = PreTokenizerPipeline.PrependScheme(rawValue: scheme) else {
            throw TokenizerError.unsupported(part: part, "Metaspace prepend_scheme '\(scheme)' (there are first, always and never)")
        }
        return (replacement, prepend)
    }

    /// `decoder`: ByteLevel, alone or as the only kind in a Sequence; Metaspace alone; or a
    /// SentencePiece-style Sequence of Replace (of one character by a space), ByteFallback,
    /// Fuse and Strip (of leading spaces, after Fuse), each at most once and in that order.
    static func decoder(_ node: JSONField) throws -> ByteLevelBPE.Decoder {
        if node.isNull { throw TokenizerError.unsupported(part: "decoder", "none (ByteLevel, Metaspace or a Replace/ByteFallback/Fuse/Strip Sequence is needed)") }
        let parts = try node.type() == "Sequence" ? try node["decoders"].array() : [node]
        let types = try parts.map { try $0.type() }
        if !types.isEmpty && types.allSatisfy({ $0 == "ByteLevel" }) { return .byteLevel }
        if types == ["Metaspace"] {
            let (replacement, prepend) = try metaspace(parts[0], "decoder")
            return .sentencePiece(replacement: replacement, byteFallback: false, firstDropsReplacement: prepend != .never, stripLeadingSpaces: 0)
        }
        let order = ["Replace", "ByteFallback", "Fuse", "Strip"]
        var last = -1, replacement: String?, strip = 0
        for (part, type) in zip(parts, types) {
            guard let rank = order.firstIndex(of: type) else {
                throw TokenizerError.unsupported(part: "decoder", "'\(type)' (Tern has ByteLevel, Metaspace, and Replace, ByteFallback, Fuse, Strip in a Sequence)")
            }
            guard rank > last else { throw TokenizerError.unsupported(part: "decoder", "\(type) after \(order[last]) (Tern reads Replace, ByteFallback, Fuse, Strip in that order)") }
            last = rank
            switch type {
            case "Replace":
                let pattern = try stringPattern(part, "decoder"), content = try part["content"].string()
                guard pattern.unicodeScalars.count == 1, content == " " else {
                    throw TokenizerError.unsupported(part: "decoder", "Replace of '\(pattern)' by '\(content)' (Tern has one character by a space)")
                }
                replacement = pattern
            case "Strip":
                let content = try part["content"].string(), start = try part["start"].int(), stop = try part["stop"].int()
                guard content == " ", stop == 0, start >= 0, types.contains("Fuse") else {
                    throw TokenizerError.unsupported(part: "decoder", "Strip of '\(content)' \(start) at the start, \(stop) at the end\(types.contains("Fuse") ? "" : " without Fuse") (Tern has spaces at the start of the fused text)")
                }
                strip = start
            default: break
            }
        }
        return .sentencePiece(replacement: replacement ?? "", byteFallback: types.contains("ByteFallback"),
                              firstDropsReplacement: false, stripLeadingSpaces: strip)
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
