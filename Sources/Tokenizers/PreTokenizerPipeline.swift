import Foundation

/// What happens to a raw-text fragment (between special tokens) before BPE merges it: the
/// `normalizer`, the added tokens matched on normalized text, then the `pre_tokenizer`
/// steps of a Hugging Face `tokenizer.json`. A GGUF model is the one-step case: its
/// pre-tokenizer scanner alone.
public struct PreTokenizerPipeline: Sendable {
    /// A tokenizer.json `normalizer` step: a Unicode normalization form (the types NFC, NFD,
    /// NFKC, NFKD), `Prepend` or a `Replace` of a fixed string (SentencePiece-style files).
    public enum Normalization: Sendable, Equatable {
        case nfc, nfd, nfkc, nfkd
        /// Text that is not empty gets this in front.
        case prepend(String)
        /// Every occurrence of the first string (compared byte for byte) becomes the second.
        case replace(String, with: String)

        /// The Unicode form a tokenizer.json `type` names.
        init?(form: String) {
            switch form {
            case "NFC": self = .nfc
            case "NFD": self = .nfd
            case "NFKC": self = .nfkc
            case "NFKD": self = .nfkd
            default: return nil
            }
        }

        func apply(_ s: String) -> String {
            switch self {
            case .nfc: return s.precomposedStringWithCanonicalMapping
            case .nfd: return s.decomposedStringWithCanonicalMapping
            case .nfkc: return s.precomposedStringWithCompatibilityMapping
            case .nfkd: return s.decomposedStringWithCompatibilityMapping
            case .prepend(let p): return s.isEmpty ? s : p + s
            case .replace(let pattern, let content): return Self.replacing(pattern, with: content, in: s)
            }
        }

        /// `s` with every `pattern` replaced, left to right, compared as UTF-8 bytes (Foundation's
        /// replacing would also match canonically equivalent text, or miss a space before a
        /// combining mark).
        static func replacing(_ pattern: String, with content: String, in s: String) -> String {
            let (p, t) = (Array(pattern.utf8), Array(s.utf8))
            guard !p.isEmpty, t.count >= p.count else { return s }
            var out: [UInt8] = []  // (≤ t.count / p.count × content bytes + t.count)
            out.reserveCapacity(t.count)
            var i = 0
            while i < t.count {
                if t[i] == p[0], i + p.count <= t.count, t[i ..< i + p.count].elementsEqual(p) {
                    out += content.utf8
                    i += p.count
                } else {
                    out.append(t[i])
                    i += 1
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Where a Metaspace pre-tokenizer puts its replacement in front of a piece that does not
    /// start with one: every piece, only the piece at the very start of the input (not after an
    /// added token), or none.
    public enum PrependScheme: String, Sendable {
        case always, first, never
    }

    /// One pre-tokenizer step, applied to every piece the previous steps made.
    public enum Step: Sendable, Equatable {
        /// ByteLevel's `add_prefix_space`: a piece that does not start with a space gets one.
        case addPrefixSpace
        /// The words of a pre-tokenizer pattern (a `Split` with behavior Isolated, or ByteLevel's
        /// `use_regex`).
        case split(PreTokenizer)
        /// `Metaspace`: spaces become `replacement`, which is put in front as `prepend` says;
        /// with `split` the piece is cut before every replacement.
        case metaspace(replacement: String, prepend: PrependScheme, split: Bool)
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

    /// The words (as `.text`) and added tokens of one raw-text fragment, in order. `atStart`:
    /// the fragment begins the input (Metaspace's prepend scheme "first").
    func words(_ fragment: [UInt8], parseSpecial: Bool, atStart: Bool = false) -> [Fragment] {
        var text = String(decoding: fragment, as: UTF8.self)
        for n in normalizations { text = n.apply(text) }
        guard let normalizedTokens else { return preTokenize(text, atStart: atStart).map { .text(Array($0.utf8)) } }
        return normalizedTokens.split(Array(text.utf8), parseSpecial: parseSpecial).enumerated().flatMap { i, f -> [Fragment] in
            guard case .text(let bytes) = f else { return [f] }
            return preTokenize(String(decoding: bytes, as: UTF8.self), atStart: atStart && i == 0).map { .text(Array($0.utf8)) }
        }
    }

    func preTokenize(_ text: String, atStart: Bool = false) -> [String] {
        var pieces = text.isEmpty ? [] : [text]
        for step in steps {
            switch step {
            case .addPrefixSpace: pieces = pieces.map { $0.utf8.first == 0x20 ? $0 : " " + $0 }  // bytes, not graphemes
            case .split(let p): pieces = pieces.flatMap { p.split($0) }
            case .metaspace(let r, let prepend, let split):
                pieces = pieces.enumerated().flatMap { i, piece -> [String] in
                    var s = Normalization.replacing(" ", with: r, in: piece)
                    let front = prepend == .always || (prepend == .first && atStart && i == 0)
                    if front && !s.utf8.starts(with: r.utf8) { s = r + s }
                    return split ? Self.cut(s, before: r) : [s]
                }
            }
        }
        return pieces
    }

    /// `s` cut before every occurrence of `marker` (tokenizers' MergedWithNext): "a▁b▁▁c" →
    /// "a", "▁b", "▁", "▁c".
    static func cut(_ s: String, before marker: String) -> [String] {
        let (m, t) = (Array(marker.utf8), Array(s.utf8))
        guard !m.isEmpty else { return [s] }
        var out: [String] = [], start = 0, i = 0
        while i + m.count <= t.count {
            if t[i ..< i + m.count].elementsEqual(m) {
                if i > start { out.append(String(decoding: t[start ..< i], as: UTF8.self)) }
                start = i
                i += m.count
            } else {
                i += 1
            }
        }
        if start < t.count { out.append(String(decoding: t[start...], as: UTF8.self)) }
        return out
    }
}
