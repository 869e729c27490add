/// What byte-level BPE does where its merges and vocabulary have gaps, and how it decodes:
/// llama.cpp's way (GGUF) or Hugging Face `tokenizers`' (tokenizer.json).
extension ByteLevelBPE {
    /// The defaults are llama.cpp's; a tokenizer.json sets `checkCharacters` and
    /// `byteLevelDecoder`, and the rest as its model says.
    public struct Options: Sendable {
        /// A word the vocabulary spells whole is one token, merges skipped (`ignore_merges`).
        public var ignoreMerges = false
        /// Look each character up before merging, as Hugging Face's BPE does (llama.cpp looks
        /// up what the merges leave): a missing one becomes the `<0xNN>` tokens of its UTF-8
        /// bytes with `byteFallback`, else the unknown token (one per run of them with
        /// `fuseUnknown`), else nothing.
        public var checkCharacters = false
        public var byteFallback = false
        public var fuseUnknown = false
        /// Decode as `tokenizers`' ByteLevel decoder: every token, added ones too, is the bytes
        /// of its stand-ins when all its characters are stand-ins, else its own UTF-8
        /// (llama.cpp: added tokens stay text, other tokens map character by character).
        public var byteLevelDecoder = false
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
