import Foundation

/// BERT's WordPiece (`tokenizer.ggml.model` = "bert"), over llama.cpp's GGUF spelling of the
/// vocabulary: a word-initial piece carries a leading "▁" and a continuation piece has no
/// "##". The text is NFD-normalized, lowercased with accents dropped (uncased BERT), cut at
/// whitespace and around each punctuation and CJK character; each word is then split greedily,
/// longest vocabulary piece first, into pieces, or becomes [UNK] when it cannot be. With
/// `addSpecial` the ids are framed as `[CLS] … [SEP]`.
public final class WordPiece: Tokenizer, @unchecked Sendable {
    public let vocabulary: Vocabulary
    let splitter: SpecialTokenSplitter
    let cls: Int32?, sep: Int32?, unknown: Int32?
    /// Uncased models lowercase (and drop accents); cased ones keep the text's case and accents.
    let lowercase: Bool
    /// Words longer than this many characters become [UNK] (BERT's limit).
    static let maxWordCharacters = 100

    public init(vocabulary: Vocabulary, cls: Int32?, sep: Int32?, lowercase: Bool = true) {
        self.vocabulary = vocabulary
        self.lowercase = lowercase
        splitter = SpecialTokenSplitter(vocabulary: vocabulary, rstrip: [])
        let find = { (s: String) in vocabulary.tokenToID[Array(s.utf8)] }
        self.cls = cls ?? find("[CLS]")
        self.sep = sep ?? find("[SEP]")
        unknown = vocabulary.unknown ?? find("[UNK]")
    }

    public func tokenBytes(_ id: Int32) -> [UInt8] {
        guard let t = tokenText(id) else { return [] }
        return Array(t.replacingOccurrences(of: "\u{2581}", with: " ").utf8)
    }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        if addSpecial, let cls { out.append(cls) }
        for fragment in splitter.split(Array(text.utf8), parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id): out.append(id)
            case .text(let bytes):
                for word in Self.words(String(decoding: bytes, as: UTF8.self), lowercase: lowercase) { encodeWord(word, into: &out) }
            }
        }
        if addSpecial, let sep { out.append(sep) }
        return out
    }

    /// The words of `text` after BERT's basic tokenizer: normalized, split at whitespace, each
    /// punctuation or CJK character a word of its own.
    static func words(_ text: String, lowercase: Bool) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = [], word: [Unicode.Scalar] = []
        func flush() { if !word.isEmpty { words.append(word); word = [] } }
        let normalized = lowercase ? text.decomposedStringWithCanonicalMapping.lowercased().decomposedStringWithCanonicalMapping : text
        for c in normalized.unicodeScalars {
            let p = c.properties
            if lowercase && p.generalCategory == .nonspacingMark { continue }  // accents, after NFD
            if c.value == 0 || c.value == 0xFFFD || (p.generalCategory == .control && !p.isWhitespace) { continue }
            if p.isWhitespace { flush(); continue }
            if isPunctuation(c) || isCJK(c.value) {
                flush()
                words.append([c])
                continue
            }
            word.append(c)
        }
        flush()
        return words
    }

    /// BERT's punctuation: every ASCII non-alphanumeric printable character, and Unicode P*.
    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if (33 ... 47).contains(v) || (58 ... 64).contains(v) || (91 ... 96).contains(v) || (123 ... 126).contains(v) { return true }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00 ... 0x9FFF).contains(v) || (0x3400 ... 0x4DBF).contains(v) || (0x20000 ... 0x2A6DF).contains(v)
            || (0x2A700 ... 0x2B73F).contains(v) || (0x2B740 ... 0x2B81F).contains(v) || (0x2B820 ... 0x2CEAF).contains(v)
            || (0xF900 ... 0xFAFF).contains(v) || (0x2F800 ... 0x2FA1F).contains(v)
    }

    /// Greedy longest-match-first pieces of one word; [UNK] for the whole word if any part has none.
    func encodeWord(_ word: [Unicode.Scalar], into out: inout [Int32]) {
        guard word.count <= Self.maxWordCharacters else {
            if let unknown { out.append(unknown) }
            return
        }
        let utf8 = word.map { Array(String($0).utf8) }
        var pieces: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count, found: Int32?
            while end > start {
                let body = utf8[start ..< end].flatMap { $0 }
                found = vocabulary.tokenToID[start == 0 ? Array("\u{2581}".utf8) + body : body]
                if found != nil { break }
                end -= 1
            }
            guard let id = found else {
                if let unknown { out.append(unknown) }
                return
            }
            pieces.append(id)
            start = end
        }
        out += pieces
    }
}
