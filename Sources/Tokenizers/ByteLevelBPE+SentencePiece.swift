/// The parts of `ByteLevelBPE` that SentencePiece-style tokenizer.json files (Llama 2,
/// Mistral, Gemma) need: words merged as characters, and their decoders.
extension ByteLevelBPE {
    /// The UTF-8 of each character (Unicode scalar) of a word, which is valid UTF-8.
    static func characters(_ word: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for b in word {
            if b & 0xC0 == 0x80, !out.isEmpty { out[out.count - 1].append(b) } else { out.append([b]) }
        }
        return out
    }

    /// The byte a `<0xNN>` spelling stands for (`tokenizers`' ByteFallback: six characters,
    /// two hex digits of either case).
    static func fallbackByte(_ spelling: String) -> UInt8? {
        let u = Array(spelling.utf8)
        guard u.count == 6, u[0 ..< 3].elementsEqual("<0x".utf8), u[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: u[3 ..< 5], as: UTF8.self), radix: 16)
    }

    /// Decodes as the tokenizer.json's decoder does; tokens one at a time (`tokenBytes`, the
    /// incremental detokenizer) leave out what depends on the neighbours: the first token's
    /// dropped or stripped space, and U+FFFD per byte of an invalid byte-fallback run.
    public func decode(_ ids: [Int32], skipSpecial: Bool) -> String {
        let kept = skipSpecial ? ids.filter { !isControl($0) } : ids
        guard case .sentencePiece(let replacement, let byteFallback, let firstDrops, let strip) = options.decoder else {
            return String(decoding: kept.flatMap(tokenBytes), as: UTF8.self)
        }
        var text = ""
        var run: [UInt8] = []  // (consecutive byte-fallback tokens) their bytes
        func flush() {
            guard !run.isEmpty else { return }
            text += String(validating: run, as: UTF8.self) ?? String(repeating: "\u{FFFD}", count: run.count)
            run = []
        }
        for (i, id) in kept.enumerated() {
            let spelling = tokenText(id) ?? ""
            if byteFallback, let b = Self.fallbackByte(spelling) { run.append(b); continue }
            flush()
            text += i == 0 && firstDrops ? PreTokenizerPipeline.Normalization.replacing(replacement, with: "", in: spelling)
                : String(decoding: tokenBytes(id), as: UTF8.self)
        }
        flush()
        let spaces = text.unicodeScalars.prefix(strip).prefix { $0 == " " }.count
        return String(text.unicodeScalars.dropFirst(spaces))
    }
}
