import Foundation
import JSON

extension WordPiece {
    /// A Hugging Face `tokenizer.json` whose model is WordPiece (BERT checkpoints), its vocabulary
    /// respelled the GGUF way ("##" continuations bare, word-initial pieces "▁"-prefixed,
    /// bracketed specials as they are); nil when the model is not WordPiece. Its normalizer's
    /// `lowercase` says whether text is lowercased (uncased models; the default).
    public static func fromTokenizerJSON(_ data: Data) throws -> WordPiece? {
        try TokenizerError.reading {
            let root = try JSONField(parsing: data, name: "tokenizer.json")
            let model = root["model"]
            guard model["type"].value?.stringValue == "WordPiece" else { return nil }
            let prefix = model["continuing_subword_prefix"].value?.stringValue ?? "##"
            var (tokens, types) = try HFTokenizerJSON.modelVocabulary(model["vocab"])
            for (i, t) in tokens.enumerated() where !t.isEmpty {
                if t.hasPrefix("[") && t.hasSuffix("]") {
                    types[i] = .control
                } else {
                    tokens[i] = t.hasPrefix(prefix) ? String(t.dropFirst(prefix.count)) : "\u{2581}" + t
                }
            }
            let id = { (s: String) in tokens.firstIndex(of: s).map(Int32.init) }
            let vocabulary = Vocabulary(tokens: tokens, types: types, scores: Array(repeating: 0, count: tokens.count), bos: nil, eos: nil,
                                        unknown: model["unk_token"].value?.stringValue.flatMap(id), addBOS: false, addEOS: false,
                                        addSpacePrefix: false, endOfGenerationIsControl: false)
            let lowercase = root["normalizer"]["lowercase"].value?.boolValue ?? true
            return WordPiece(vocabulary: vocabulary, cls: id("[CLS]"), sep: id("[SEP]"), lowercase: lowercase)
        }
    }
}
