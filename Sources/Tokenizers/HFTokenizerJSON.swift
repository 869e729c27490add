import Foundation
import JSON

/// A Hugging Face tokenizer: `tokenizer.json` (a BPE model: byte-level, or SentencePiece-style
/// with "▁" for spaces and byte fallback) and, when present,
/// `tokenizer_config.json` (BOS/EOS, whether to add BOS, the chat template). Encodes as the
/// Python `tokenizers` package does; parts Tern does not implement are typed errors.
public struct HFTokenizerJSON: Sendable {
    public let tokenizer: ByteLevelBPE
    public internal(set) var config: HFTokenizerConfig
    /// The Jinja chat template (tokenizer_config.json, else chat_template.jinja).
    public var chatTemplate: String? { config.chatTemplate }

    public init(tokenizerJSON: Data, tokenizerConfig: Data? = nil) throws {
        self = try TokenizerError.reading {
            let root = try JSONField(parsing: tokenizerJSON, name: "tokenizer.json")
            let config = try tokenizerConfig.map(HFTokenizerConfig.init(parsing:)) ?? HFTokenizerConfig()
            return try HFTokenizerJSON(root: root, config: config)
        }
    }

    private init(root: JSONField, config: HFTokenizerConfig) throws {
        self.config = config
        let model = root["model"]
        _ = try model.entries()  // an object
        let type = model["type"].isNull && !model["merges"].isNull ? "BPE" : try model.type()
        guard type == "BPE" else { throw TokenizerError.unsupported(part: "model", "'\(type)' (Tern reads BPE)") }
        if let dropout = model["dropout"].value?.doubleValue, dropout > 0 { throw TokenizerError.unsupported(part: "model", "BPE dropout") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] where !(model[key].value?.stringValue ?? "").isEmpty {
            throw TokenizerError.unsupported(part: "model", key)
        }

        var (tokens, types) = try Self.modelVocabulary(model["vocab"])
        let normalizations = try Self.normalizer(root["normalizer"])
        let added = try Self.addedTokens(root["added_tokens"], normalizations: normalizations, into: &tokens, &types)
        func id(_ spelling: String, _ what: String) throws -> Int32 {
            guard let i = tokens.firstIndex(where: { $0.utf8.elementsEqual(spelling.utf8) }) else {
                throw TokenizerError.malformed("\(what) '\(spelling)' is not in the vocabulary")
            }
            return Int32(i)
        }
        let unknown = try model["unk_token"].value?.stringValue.map { try id($0, "model.unk_token") }
        let template = try Self.postProcessor(root["post_processor"])
        let vocabulary = Vocabulary(
            tokens: tokens, types: types, scores: [Float](repeating: 0, count: tokens.count),
            bos: try config.bosToken.map { try id($0, "tokenizer_config.json bos_token") } ?? template.prefix,
            eos: try config.eosToken.map { try id($0, "tokenizer_config.json eos_token") } ?? template.suffix,
            unknown: unknown, addBOS: config.addBOSToken ?? (template.prefix != nil),
            addEOS: config.addEOSToken ?? (template.suffix != nil), addSpacePrefix: false, endOfGenerationIsControl: false)

        let preTokenizer = try Self.preTokenizer(root["pre_tokenizer"])
        let pipeline = PreTokenizerPipeline(
            normalizations: normalizations,
            normalizedTokens: SpecialTokenSplitter(vocabulary: vocabulary, matching: .leftmostLongest, entries: added.normalized),
            steps: preTokenizer.steps)
        let options = ByteLevelBPE.Options(
            byteLevel: preTokenizer.byteLevel, ignoreMerges: try model["ignore_merges"].bool(default: false), checkCharacters: true,
            byteFallback: try model["byte_fallback"].bool(default: false), fuseUnknown: try model["fuse_unk"].bool(default: false),
            decoder: try Self.decoder(root["decoder"]))
        tokenizer = ByteLevelBPE(
            vocabulary: vocabulary, merges: try Self.merges(model["merges"], vocabulary: vocabulary),
            splitter: SpecialTokenSplitter(vocabulary: vocabulary, matching: .leftmostLongest, entries: added.raw),
            pipeline: pipeline, options: options)
    }

    /// `model.vocab` (spelling → id) as a table by id; ids nobody uses stay empty and unused.
    /// Spellings are compared byte for byte, so canonically equivalent ones (U+09DF and
    /// U+09AF U+09BC) stay two tokens, as in `tokenizers`.
    static func modelVocabulary(_ node: JSONField) throws -> ([String], [Vocabulary.TokenType]) {
        let vocab = try node.entries()
        guard !vocab.isEmpty else { throw TokenizerError.malformed("\(node.path) is empty") }
        var byID: [String?] = []  // (max id + 1)
        byID.reserveCapacity(vocab.count)
        for (spelling, value) in vocab {
            let id = Int(try value.id())
            if id >= byID.count { byID += repeatElement(nil, count: id + 1 - byID.count) }
            if let other = byID[id] {
                throw TokenizerError.malformed("\(node.path): '\(other)' and '\(spelling)' share id \(id)")
            }
            byID[id] = spelling
        }
        return (byID.map { $0 ?? "" }, byID.map { $0 == nil ? .unused : .normal })
    }

    /// Reads `added_tokens` and writes them into the vocabulary table: special ones as
    /// control tokens, the others as user-defined. Returns them as the splitter looks for
    /// them: those matched on normalized text (spelled normalized), and the others.
    static func addedTokens(_ node: JSONField, normalizations: [PreTokenizerPipeline.Normalization],
                            into tokens: inout [String], _ types: inout [Vocabulary.TokenType])
        throws -> (normalized: [SpecialTokenSplitter.Entry], raw: [SpecialTokenSplitter.Entry]) {
        var out: (normalized: [SpecialTokenSplitter.Entry], raw: [SpecialTokenSplitter.Entry]) = ([], [])
        for t in node.isNull ? [] : try node.array() {
            let id = try t["id"].id(), content = try t["content"].string(), special = try t["special"].bool(default: false)
            guard !content.isEmpty else { throw TokenizerError.malformed("\(t.path).content is empty") }
            let i = Int(id)
            if i >= tokens.count {
                tokens += [String](repeating: "", count: i + 1 - tokens.count)
                types += [Vocabulary.TokenType](repeating: .unused, count: i + 1 - types.count)
            }
            if types[i] != .unused && tokens[i] != content { throw TokenizerError.malformed("\(t.path) '\(content)' has the id of '\(tokens[i])'") }
            tokens[i] = content
            types[i] = special ? .control : .userDefined
            let normalized = try t["normalized"].bool(default: !special)
            let entry = SpecialTokenSplitter.Entry(
                id: id, bytes: Array((normalized ? normalizations.reduce(content) { $1.apply($0) } : content).utf8),
                lstrip: try t["lstrip"].bool(default: false), rstrip: try t["rstrip"].bool(default: false),
                singleWord: try t["single_word"].bool(default: false))
            if normalized { out.normalized.append(entry) } else { out.raw.append(entry) }
        }
        return out
    }

    /// `model.merges`: "left right" strings (exactly one space; "#version" lines skipped) or
    /// [left, right] pairs; both sides and their join must be in the vocabulary. Of a pair
    /// listed twice the last rank counts, as in `tokenizers`.
    static func merges(_ node: JSONField, vocabulary: Vocabulary) throws -> [(String, String)] {
        var pairs: [(String, String)] = []
        for m in try node.array() {
            let pair: (String, String)
            if case .string(let s)? = m.value {
                if s.hasPrefix("#version") { continue }
                let parts = s.utf8.split(separator: 0x20, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
                guard parts.count == 2 else { throw TokenizerError.malformed("\(m.path) '\(s)' is not two tokens with a space between") }
                pair = (parts[0], parts[1])
            } else if case .array(let a)? = m.value, a.count == 2, case .string(let left) = a[0], case .string(let right) = a[1] {
                pair = (left, right)
            } else {
                throw TokenizerError.malformed("\(m.path) is neither \"left right\" nor [left, right]")
            }
            for part in [pair.0, pair.1, pair.0 + pair.1] where vocabulary.tokenToID[Array(part.utf8)] == nil {
                throw TokenizerError.malformed("\(m.path) '\(pair.0) \(pair.1)': '\(part)' is not in the vocabulary")
            }
            pairs.append(pair)
        }
        var seen = Set<[UInt8]>()
        let lastFirst = pairs.reversed().filter { seen.insert(Array($0.0.utf8) + [0] + Array($0.1.utf8)).inserted }
        return lastFirst.reversed()
    }
}

extension JSONField {
    /// A non-negative integer below 2^24 (a token id).
    func id() throws -> Int32 {
        let n = try int()
        guard n >= 0, n < 1 << 24 else { throw TokenizerError.malformed("\(path) = \(n) is not a token id") }
        return Int32(n)
    }

    /// The `type` field of a tokenizer.json component.
    func type() throws -> String { try self["type"].string() }
}
