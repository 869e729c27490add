/// BPE by merge rank. Byte-level (GPT-2 style: GGUF `tokenizer.ggml.model` = "gpt2", or a
/// `tokenizer.json` BPE model behind a ByteLevel pre-tokenizer): words from the pre-tokenizer
/// are mapped byte by byte onto printable characters, then merged pairwise by merge rank
/// (lowest first, leftmost on ties) until no ranked pair remains. A SentencePiece-style
/// tokenizer.json (Llama 2, Mistral, Gemma: spaces as "▁", `byte_fallback`) merges the
/// characters themselves the same way (`Options.byteLevel` off).
public final class ByteLevelBPE: Tokenizer, @unchecked Sendable {
    /// The two sides of a merge, as UTF-8.
    struct MergePair: Hashable {
        let left: [UInt8]
        let right: [UInt8]
    }

    public let vocabulary: Vocabulary
    let splitter: SpecialTokenSplitter
    let pipeline: PreTokenizerPipeline
    let options: Options
    /// Merge ranks by the vocabulary ids of the two sides (left id << 32 | right id): 12 bytes
    /// a merge rather than two arrays (Llama 3's 280k merges: about 4 MB instead of 30).
    let ranks: [UInt64: Int32]
    /// Merges with a side that is not a token of the vocabulary (none in a well-formed file).
    let oddRanks: [MergePair: Int32]
    /// byte → its printable stand-in, and back: printable bytes stand for themselves, the
    /// others for U+0100, U+0101, … in byte order (GPT-2's `bytes_to_unicode`)
    static let byteToChar: [Character] = {
        let unprintable = (0 ..< 256).filter { !(33 ... 126 ~= $0 || 161 ... 172 ~= $0 || 174 ... 255 ~= $0) }
        return (0 ..< 256).map { b in Character(Unicode.Scalar(UInt32(unprintable.firstIndex(of: b).map { 256 + $0 } ?? b))!) }
    }()
    /// byte → UTF-8 of its stand-in
    static let byteToUTF8: [[UInt8]] = byteToChar.map { Array(String($0).utf8) }
    static let charToByte: [Character: UInt8] = Dictionary(uniqueKeysWithValues: byteToChar.enumerated().map { ($1, UInt8($0)) })
    /// Decoded bytes of every token (control tokens: their spelling).
    let pieces: ByteStrings

    /// A GGUF model's tokenizer: merges spelled "left right", llama.cpp's special-token
    /// splitting and one pre-tokenizer scanner; `ignoreMerges` as llama.cpp sets it per
    /// pre-tokenizer (`PreTokenizer.ignoresMerges`); `rstrip` as for `SentencePieceBPE`.
    public convenience init(vocabulary: Vocabulary, merges: [String], preTokenizer: PreTokenizer, ignoreMerges: Bool = false,
                            rstrip: Set<Int32> = []) throws {
        let pairs = try merges.enumerated().map { i, m in
            // The separator is the first space after the first character.
            let scalars = m.unicodeScalars
            guard let sep = scalars.dropFirst().firstIndex(of: " ") else { throw TokenizerError.malformed("merge \(i) '\(m)' has no separator") }
            return (String(scalars[..<sep]), String(scalars[scalars.index(after: sep)...]))
        }
        self.init(vocabulary: vocabulary, merges: pairs, splitter: SpecialTokenSplitter(vocabulary: vocabulary, rstrip: rstrip),
                  pipeline: PreTokenizerPipeline(steps: [.split(preTokenizer)]), options: Options(ignoreMerges: ignoreMerges))
    }

    /// `merges` in rank order; of a pair listed twice the first rank counts.
    init(vocabulary: Vocabulary, merges: [(String, String)], splitter: SpecialTokenSplitter, pipeline: PreTokenizerPipeline,
         options: Options) {
        self.vocabulary = vocabulary
        self.splitter = splitter
        self.pipeline = pipeline
        self.options = options
        var ranks = [UInt64: Int32](minimumCapacity: merges.count), oddRanks: [MergePair: Int32] = [:]
        for i in merges.indices.reversed() {
            let (left, right) = (Array(merges[i].0.utf8), Array(merges[i].1.utf8))
            if let key = Self.key(left, right, vocabulary) { ranks[key] = Int32(i) } else { oddRanks[MergePair(left: left, right: right)] = Int32(i) }
        }
        self.ranks = ranks
        self.oddRanks = oddRanks
        pieces = ByteStrings(vocabulary.tokens.enumerated().lazy.map { i, t -> [UInt8] in
            switch options.decoder {
            case .llamaCpp: break
            case .byteLevel:
                let bytes = t.unicodeScalars.map { Self.charToByte[Character($0)] }
                return bytes.contains(nil) ? Array(t.utf8) : bytes.compactMap { $0 }
            case .sentencePiece(let replacement, let byteFallback, _, _):
                if byteFallback, let b = Self.fallbackByte(t) { return [b] }
                return Array(PreTokenizerPipeline.Normalization.replacing(replacement, with: " ", in: t).utf8)
            }
            switch vocabulary.types[i] {
            case .control, .userDefined, .unknown, .unused: return Array(t.utf8)
            default:
                // Map each stand-in character back to its byte; characters outside the map
                // (not produced by byte-level encoding) keep their UTF-8.
                var out: [UInt8] = []
                for ch in t { if let b = Self.charToByte[ch] { out.append(b) } else { out += Array(String(ch).utf8) } }
                return out
            }
        })
    }

    public func tokenBytes(_ id: Int32) -> [UInt8] { id >= 0 && Int(id) < pieces.count ? Array(pieces[Int(id)]) : [] }

    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        var out: [Int32] = []
        if addSpecial, vocabulary.addBOS, let bos = vocabulary.bos { out.append(bos) }
        for (i, fragment) in splitter.split(Array(text.utf8), parseSpecial: parseSpecial).enumerated() {
            switch fragment {
            case .token(let id): out.append(id)
            case .text(let bytes):
                for word in pipeline.words(bytes, parseSpecial: parseSpecial, atStart: i == 0) {
                    switch word {
                    case .token(let id): out.append(id)
                    case .text(let w): encodeWord(w, into: &out)
                    }
                }
            }
        }
        if addSpecial, vocabulary.addEOS, let eos = vocabulary.eos { out.append(eos) }
        return out
    }

    func encodeWord(_ word: [UInt8], into out: inout [Int32]) {
        let mapped = options.byteLevel ? word.map { Self.byteToUTF8[Int($0)] } : Self.characters(word)
        if options.ignoreMerges, let id = vocabulary.tokenToID[Array(mapped.joined())] { out.append(id); return }
        var symbols = SymbolList(options.checkCharacters ? checkedCharacters(mapped) : mapped)
        symbols.mergeAll { left, right in
            guard let key = Self.key(left, right, vocabulary) else { return oddRanks[MergePair(left: left, right: right)].map(Double.init) }
            return ranks[key].map(Double.init)
        }
        for s in symbols.survivors {
            if let id = vocabulary.tokenToID[s] { out.append(id); continue }
            // Not in the vocabulary: those of its characters that are.
            out += String(decoding: s, as: UTF8.self).unicodeScalars.compactMap { vocabulary.tokenToID[Array(String($0).utf8)] }
        }
    }

    /// The `ranks` key of a merge whose sides are both tokens.
    static func key(_ left: [UInt8], _ right: [UInt8], _ vocabulary: Vocabulary) -> UInt64? {
        guard let l = vocabulary.tokenToID[left], let r = vocabulary.tokenToID[right] else { return nil }
        return UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
    }
}
