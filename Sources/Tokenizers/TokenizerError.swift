import JSON
import ModelFormats

/// Why a tokenizer could not be built from a model file (GGUF metadata or tokenizer.json).
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case malformed(String)
    case unsupportedModel(String)
    /// A tokenizer.json part Tern does not implement: the part ("model", "normalizer",
    /// "pre_tokenizer", "decoder", "post_processor") and what it asked for.
    case unsupported(part: String, String)

    public var description: String {
        switch self {
        case .missing(let key): return "tokenizer metadata '\(key)' is missing"
        case .malformed(let what): return "tokenizer metadata is malformed: \(what)"
        case .unsupportedModel(let m): return "unsupported tokenizer model '\(m)' (supported: gpt2, llama)"
        case .unsupported(let part, let what): return "unsupported tokenizer.json \(part): \(what)"
        }
    }
}

extension TokenizerError {
    /// The JSON reader's error as a tokenizer error: a missing field stays `.missing`, the
    /// rest are `.malformed` with the reader's message (which names the field).
    init(_ error: JSONFieldError) {
        if case .missing(let path) = error { self = .missing(path) } else { self = .malformed("\(error)") }
    }

    /// Runs `read`, turning the JSON reader's errors into tokenizer errors.
    static func reading<T>(_ read: () throws -> T) throws -> T {
        do { return try read() } catch let error as JSONFieldError { throw TokenizerError(error) }
    }
}
