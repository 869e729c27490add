/// What byte-level BPE does where its merges and vocabulary have gaps, and how it decodes:
/// llama.cpp's way (GGUF) or Hugging Face `tokenizers`' (tokenizer.json).
extension ByteLevelBPE {
    /// The defaults are llama.cpp's; a tokenizer.json sets `checkCharacters`, and the rest
    /// as its model, pre-tokenizer and decoder say.
    public struct Options: Sendable {
        /// Words are merged as their bytes' printable stand-ins (a ByteLevel pre-tokenizer);
        /// else as their characters (SentencePiece-style files, whose spaces are "▁").
        public var byteLevel = true
        /// A word the vocabulary spells whole is one token, merges skipped (`ignore_merges`).
        public var ignoreMerges = false
        /// Look each character up before merging, as Hugging Face's BPE does (llama.cpp looks
        /// up what the merges leave): a missing one becomes the `<0xNN>` tokens of its UTF-8
        /// bytes with `byteFallback`, else the unknown token (one per run of them with
        /// `fuseUnknown`), else nothing.
        public var checkCharacters = false
        public var byteFallback = false
        public var fuseUnknown = false
        public var decoder = Decoder.llamaCpp
    }

    /// How token ids become text.
    public enum Decoder: Sendable, Equatable {
        /// llama.cpp's: added tokens stay text, other tokens map character by character back
        /// to the bytes they stand for.
        case llamaCpp
        /// `tokenizers`' ByteLevel decoder: every token, added ones too, is the bytes of its
        /// stand-ins when all its characters are stand-ins, else its own UTF-8.
        case byteLevel
        /// `tokenizers`' SentencePiece-style decoders: `replacement` ("▁"; "" for none) becomes a space in
        /// every token, except in the first one decoded with `firstDropsReplacement` (a
        /// Metaspace decoder that prepends); with `byteFallback` a `<0xNN>` token is its byte
        /// (a run of them that is not UTF-8 decodes as one U+FFFD per byte); then up to
        /// `stripLeadingSpaces` spaces leave the front of the whole text (Strip after Fuse).
        case sentencePiece(replacement: String, byteFallback: Bool, firstDropsReplacement: Bool, stripLeadingSpaces: Int)
    }

    /// The starting symbols of Hugging Face's BPE (`BPE::merge_word`): characters in the
    /// vocabulary, byte-fallback tokens, unknown tokens (a pending one is written when the
    /// next known character comes, after any byte-fallback tokens, as `tokenizers` does).
    func checkedCharacters(_ chars: [[UInt8]]) -> [[UInt8]] {
        let unknown = vocabulary.unknown.flatMap(tokenText).map { Array($0.utf8) }
        var out: [[UInt8]] = []
        var pendingUnknown = false
        for c in chars {
            if vocabulary.tokenToID[c] != nil {
                if pendingUnknown, let unknown { out.append(unknown) }
                pendingUnknown = false
                out.append(c)
            } else if options.byteFallback, c.allSatisfy({ vocabulary.tokenToID[Self.byteTokenSpelling($0)] != nil }) {
                out += c.map(Self.byteTokenSpelling)
            } else if let unknown {
                if pendingUnknown && !options.fuseUnknown { out.append(unknown) }
                pendingUnknown = true
            }
        }
        if pendingUnknown, let unknown { out.append(unknown) }
        return out
    }

    /// "<0xNN>" with upper-case hex digits.
    static func byteTokenSpelling(_ b: UInt8) -> [UInt8] {
        let hex = Array("0123456789ABCDEF".utf8)
        return Array("<0x".utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)], UInt8(ascii: ">")]
    }
}
