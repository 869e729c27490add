import Foundation

/// What happens to a raw-text fragment (between special tokens) before BPE merges it: the
/// `normalizer`, the added tokens matched on normalized text, then the `pre_tokenizer`
/// steps of a Hugging Face `tokenizer.json`. A GGUF model is the one-step case: its
/// pre-tokenizer scanner alone.
public struct PreTokenizerPipeline: Sendable {
    /// Unicode normalization forms (tokenizer.json `normalizer` types of the same names).
    public enum Normalization: String, Sendable, CaseIterable {
        case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD"

        func apply(_ s: String) -> String {
            switch self {
            case .nfc: return s.precomposedStringWithCanonicalMapping
            case .nfd: return s.decomposedStringWithCanonicalMapping
            case .nfkc: return s.precomposedStringWithCompatibilityMapping
            case .nfkd: return s.decomposedStringWithCompatibilityMapping
            }
        }
    }

    /// One pre-tokenizer step, applied to every piece the previous steps made.
    public enum Step: Sendable, Equatable {
        /// ByteLevel's `add_prefix_space`: a piece that does not start with a space gets one.
        case addPrefixSpace
        /// The words of a pre-tokenizer pattern (a `Split` with behavior Isolated, or ByteLevel's
        /// `use_regex`).
        case split(PreTokenizer)
    }

    public let normalizations: [Normalization]
    public let steps: [Step]
    /// Added tokens matched after normalization (tokenizer.json `normalized: true`).
    let normalizedTokens: SpecialTokenSplitter?

    init(normalizations: [Normalization] = [], normalizedTokens: SpecialTokenSplitter? = nil, steps: [Step]) {
        self.normalizations = normalizations
        self.normalizedTokens = normalizedTokens.flatMap { $0.isEmpty ? nil : $0 }
        self.steps = steps
    }

    /// The words (as `.text`) and added tokens of one raw-text fragment, in order.
    func words(_ fragment: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var text = String(decoding: fragment, as: UTF8.self)
        for n in normalizations { text = n.apply(text) }
        guard let normalizedTokens else { return preTokenize(text).map { .text(Array($0.utf8)) } }
        return normalizedTokens.split(Array(text.utf8), parseSpecial: parseSpecial).flatMap { f -> [Fragment] in
            guard case .text(let bytes) = f else { return [f] }
            return preTokenize(String(decoding: bytes, as: UTF8.self)).map { .text(Array($0.utf8)) }
        }
    }

    func preTokenize(_ text: String) -> [String] {
        var pieces = text.isEmpty ? [] : [text]
        for step in steps {
            switch step {
            case .addPrefixSpace: pieces = pieces.map { $0.utf8.first == 0x20 ? $0 : " " + $0 }  // bytes, not graphemes
            case .split(let p): pieces = pieces.flatMap { p.split($0) }
            }
        }
        return pieces
    }
}
