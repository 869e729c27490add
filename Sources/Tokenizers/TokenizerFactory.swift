import Foundation
import ModelFormats

/// Builds the tokenizer a model file describes: a GGUF file's metadata, or a Hugging Face
/// folder's tokenizer.json.
public enum TokenizerFactory {
    public static func load(from f: GGUFFile) throws -> any Tokenizer {
        guard let model = f.metadata["tokenizer.ggml.model"]?.string else { throw TokenizerError.missing("tokenizer.ggml.model") }
        let vocabulary = try Vocabulary.load(from: f)
        // llama.cpp: special tokens of models named Phi-3 swallow the whitespace after them.
        let rstrip = vocabulary.llamaCppRstripIDs(modelName: f.metadata["general.name"]?.string)
        switch model {
        case "gpt2":
            guard let merges = f.metadata["tokenizer.ggml.merges"]?.array?.strings else { throw TokenizerError.missing("tokenizer.ggml.merges") }
            let pre = f.metadata["tokenizer.ggml.pre"]?.string
            return try ByteLevelBPE(vocabulary: vocabulary, merges: merges, preTokenizer: PreTokenizer.named(pre),
                                    ignoreMerges: PreTokenizer.ignoresMerges(pre), rstrip: rstrip)
        case "llama":
            return SentencePieceBPE(vocabulary: vocabulary, rstrip: rstrip)
        case "bert":
            func id(_ key: String) -> Int32? {
                f.metadata["tokenizer.ggml.\(key)"]?.int.flatMap { $0 >= 0 && $0 < vocabulary.tokens.count ? Int32($0) : nil }
            }
            return WordPiece(vocabulary: vocabulary, cls: id("cls_token_id") ?? vocabulary.bos, sep: id("seperator_token_id") ?? vocabulary.eos)
        default:
            throw TokenizerError.unsupportedModel(model)
        }
    }

    /// `tokenizer.json` and the optional `tokenizer_config.json` of a Hugging Face model
    /// folder: `.tokenizer` encodes and decodes, `.chatTemplate` and `.config` carry the rest.
    /// A `chat_template.jinja` beside them (newer checkpoints) is the chat template when the
    /// config has none.
    /// A folder's tokenizer.json when its model is WordPiece (BERT), else nil.
    public static func wordPiece(huggingFaceFolder folder: String) throws -> WordPiece? {
        let json = URL(fileURLWithPath: folder).appendingPathComponent("tokenizer.json")
        guard let data = try? Data(contentsOf: json) else { throw TokenizerError.missing(json.path) }
        return try WordPiece.fromTokenizerJSON(data)
    }

    public static func load(huggingFaceFolder folder: String) throws -> HFTokenizerJSON {
        let dir = URL(fileURLWithPath: folder)
        let json = dir.appendingPathComponent("tokenizer.json")
        guard let data = try? Data(contentsOf: json) else { throw TokenizerError.missing(json.path) }
        let config = try? Data(contentsOf: dir.appendingPathComponent("tokenizer_config.json"))
        var loaded = try HFTokenizerJSON(tokenizerJSON: data, tokenizerConfig: config)
        if loaded.config.chatTemplate == nil,
           let template = try? String(contentsOf: dir.appendingPathComponent("chat_template.jinja"), encoding: .utf8) {
            loaded.config.chatTemplate = template
        }
        return loaded
    }
}
