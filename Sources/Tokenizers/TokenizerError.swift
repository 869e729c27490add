import ModelFormats

/// Why a tokenizer could not be built from a model file.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case malformed(String)
    case unsupportedModel(String)

    public var description: String {
        switch self {
        case .missing(let key): return "tokenizer metadata '\(key)' is missing"
        case .malformed(let what): return "tokenizer metadata is malformed: \(what)"
        case .unsupportedModel(let m): return "unsupported tokenizer model '\(m)' (supported: gpt2, llama)"
        }
    }
}
