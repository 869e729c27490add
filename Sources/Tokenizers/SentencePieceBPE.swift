import Foundation

/// SentencePiece-style BPE (`tokenizer.ggml.model` = "llama"): spaces become "▁", the text
/// starts as single characters, and the adjacent pair whose concatenation is the
/// highest-scoring vocabulary piece is merged first (leftmost on ties). Characters left
/// outside the vocabulary fall back to their UTF-8 bytes as `<0xNN>` tokens.
public final class SentencePieceBPE: Tokenizer, @unchecked Sendable {
    public let vocabulary: Vocabulary
    let splitter: SpecialTokenSplitter
    /// byte → id of its `<0xNN>` token
    let byteTokens: [Int32?]
    let pieces: ByteStrings

    /// `rstrip`: special tokens that swallow the whitespace after them (see `TokenizerFactory`).
    public init(vocabulary: Vocabulary, rstrip: Set<Int32> = []) {
        self.vocabulary = vocabulary
        splitter = SpecialTokenSplitter(vocabulary: vocabulary, rstrip: rstrip)
        byteTokens = (0 ..< 256).map { vocabulary.tokenToID[Array(String(format: "<0x%02X>", $0).utf8)] }
        pieces = ByteStrings(vocabulary.tokens.enumerated().lazy.map { i, t -> [UInt8] in
            switch vocabulary.types[i] {
            case .byte:  // "<0xNN>"
                return UInt8(t.dropFirst(3).prefix(2), radix: 16).map { [$0] } ?? Array(t.utf8)
            case .normal:
                return Array(t.replacingOccurrences(of: "\u{2581}", with: " ").utf8)
            default:
                return Array(t.utf8)
            }
        })
    }

    public func tokenBytes(_ id: Int32) -> [UInt8] { id >= 0 && Int(id) < pieces.count ? Array(pieces[Int(id)]) : [] }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        if addSpecial, vocabulary.addBOS, let bos = vocabulary.bos { out.append(bos) }
        var previousWasSpecial = true
        for fragment in splitter.split(Array(text.utf8), parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                out.append(id)
                previousWasSpecial = true
            case .text(let bytes):
                var s = String(decoding: bytes, as: UTF8.self)
                if vocabulary.addSpacePrefix && previousWasSpecial { s = " " + s }
                encodeFragment(s.replacingOccurrences(of: " ", with: "\u{2581}"), into: &out)
                previousWasSpecial = false
            }
        }
        if addSpecial, vocabulary.addEOS, let eos = vocabulary.eos { out.append(eos) }
        return out
    }

    func encodeFragment(_ text: String, into out: inout [Int32]) {
        let chars = text.unicodeScalars.map { Array(String($0).utf8) }
        guard !chars.isEmpty else { return }
        var symbols = SymbolList(chars)
        // Highest-scoring vocabulary piece first.
        symbols.mergeAll { left, right in vocabulary.tokenToID[left + right].map { -Double(vocabulary.scores[Int($0)]) } }
        for s in symbols.survivors {
            if let id = vocabulary.tokenToID[s] { out.append(id); continue }
            // Not in the vocabulary: its bytes' tokens, else the unknown token for each.
            out += s.compactMap { byteTokens[Int($0)] ?? vocabulary.unknown }
        }
    }
}
