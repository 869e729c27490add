import ModelFormats

/// Errors of building a model from a file, or of running one with bad input.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case format(ModelFormatError)
    case unsupportedArchitecture(String, supported: [String])
    case badHyperparameter(String)
    case unsupportedTensorType(tensor: String, type: String)
    case tokenOutOfRange(Int32, vocabularySize: Int)
    case contextOverflow(position: Int, limit: Int)
    case blockTables(given: Int, layout: Int)
    case cannotEmbed(String)
    case cannotGenerate(String)

    public var description: String {
        switch self {
        case .format(let e): return e.description
        case .unsupportedArchitecture(let a, let s): return "unsupported architecture '\(a)'; supported: \(s.joined(separator: ", "))"
        case .badHyperparameter(let s): return "bad hyperparameter: \(s)"
        case .unsupportedTensorType(let t, let ty): return "tensor '\(t)' has type \(ty), which this layer cannot use"
        case .tokenOutOfRange(let t, let v): return "token id \(t) is outside the vocabulary (0..<\(v))"
        case .contextOverflow(let p, let l): return "position \(p) exceeds the KV cache capacity \(l)"
        case .blockTables(let g, let l): return "a sequence has \(g) block tables; the KV cache layout has \(l)"
        case .cannotEmbed(let a): return "the \(a) model cannot produce embeddings"
        case .cannotGenerate(let a): return "the \(a) model is an encoder: it produces embeddings, not tokens"
        }
    }
}
