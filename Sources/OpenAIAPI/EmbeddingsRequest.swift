import Foundation
import JSON

/// A validated `POST /v1/embeddings` body: `input` as a string, strings, token ids or lists of
/// token ids (each becomes one embedding), `encoding_format` float or base64, `dimensions`,
/// `model` and `user` (accepted, unused).
struct EmbeddingsRequest {
    enum Encoding: String { case float, base64 }

    /// Token ids of each input, in order.
    let inputs: [[Int32]]
    let encoding: Encoding
    /// Leading dimensions to keep (then renormalized); nil: all.
    let dimensions: Int?

    /// OpenAI's limit on inputs per request.
    static let maxInputs = 2048

    /// `encode` tokenizes a text input; token ids must lie in `0 ..< vocabularySize`; every
    /// input must fit `maxTokens`. A model whose embeddings are `width` wide can be asked for fewer
    /// `dimensions` only when `truncatable` (trained for it, Matryoshka-style).
    init(_ f: RequestFields, encode: (String) -> [Int32], vocabularySize: Int, maxTokens: Int, width: Int, truncatable: Bool) throws {
        _ = try f.string("user")
        inputs = try Self.inputs(f, encode: encode, vocabularySize: vocabularySize)
        for (i, p) in inputs.enumerated() where p.count > maxTokens {
            throw APIError.invalid("This model's maximum context length is \(maxTokens) tokens, however input \(i) has \(p.count) tokens. "
                                   + "Please reduce the length of the input.", param: "input", code: "context_length_exceeded")
        }
        let format = try f.string("encoding_format") ?? "float"
        guard let encoding = Encoding(rawValue: format) else {
            throw APIError.invalid("'encoding_format' must be 'float' or 'base64'; got '\(format)'", param: "encoding_format")
        }
        self.encoding = encoding
        let dims = try f.int("dimensions", in: 1 ... Int(Int32.max))
        if let d = dims, d != width {
            guard truncatable else {
                throw APIError.invalid("this model's embeddings have \(width) dimensions and it was not trained to be truncated, "
                                       + "so 'dimensions' must be \(width) or left out; got \(d)", param: "dimensions")
            }
            guard d < width else {
                throw APIError.invalid("'dimensions' must be at most \(width) (the model's embedding width); got \(d)", param: "dimensions")
            }
        }
        dimensions = dims.flatMap { $0 < width ? $0 : nil }
    }

    private static func inputs(_ f: RequestFields, encode: (String) -> [Int32], vocabularySize: Int) throws -> [[Int32]] {
        guard let input = f["input"] else { throw APIError.invalid("'input' is required", param: "input") }
        let bad = APIError.invalid("'input' must be a string, an array of strings, an array of token ids or an array of arrays of token ids",
                                   param: "input")
        let vocab = 0 ... vocabularySize - 1
        let ids = { (list: [JSON]) in try list.map { Int32(try RequestFields.integer($0, name: "input", in: vocab)) } }
        var inputs: [[Int32]]
        switch input {
        case .string(let s): inputs = [encode(s)]
        case .array(let items):
            guard let first = items.first else { throw APIError.invalid("'input' must not be an empty array", param: "input") }
            guard items.count <= maxInputs else { throw APIError.invalid("'input' takes at most \(maxInputs) entries", param: "input") }
            switch first {
            case .string: inputs = try items.map { guard case .string(let s) = $0 else { throw bad }; return encode(s) }
            case .number: inputs = [try ids(items)]
            case .array: inputs = try items.map { guard case .array(let list) = $0 else { throw bad }; return try ids(list) }
            default: throw bad
            }
        default: throw bad
        }
        if let i = inputs.firstIndex(where: \.isEmpty) {
            throw APIError.invalid("input \(i) has no tokens (an empty string or list)", param: "input")
        }
        return inputs
    }

    /// The vector as the response carries it: its first `dimensions` entries renormalized, then
    /// a JSON array of numbers, or base64 of its little-endian float32 bytes.
    func encoded(_ vector: [Float]) -> JSON {
        var v = vector
        if let d = dimensions, d < v.count {
            v = Array(v.prefix(d))
            let norm = v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            if norm > 0 { v = v.map { Float(Double($0) / norm) } }
        }
        switch encoding {
        case .float:
            return .array(v.map { .float($0) })
        case .base64:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(v.count * 4)
            for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            return .string(Data(bytes).base64EncodedString())
        }
    }
}
