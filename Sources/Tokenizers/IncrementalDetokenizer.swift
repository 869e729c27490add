/// Turns a stream of token ids into text deltas that never end inside a UTF-8 character:
/// bytes of an incomplete trailing character are held back until a later token completes
/// them; bytes that can no longer become valid are emitted as U+FFFD.
public struct IncrementalDetokenizer {
    let tokenizer: any Tokenizer
    let skipSpecial: Bool
    private var pending: [UInt8] = []

    public init(tokenizer: any Tokenizer, skipSpecial: Bool = true) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
    }

    /// The text that token `id` completes.
    public mutating func push(_ id: Int32) -> String {
        if skipSpecial && tokenizer.isControl(id) { return "" }
        pending += tokenizer.tokenBytes(id)
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[0 ..< cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Whatever is still held back (an unfinished character becomes U+FFFD).
    public mutating func finish() -> String {
        defer { pending = [] }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix that does not end inside a character that could still
    /// be completed by more bytes.
    static func completePrefixLength(_ b: [UInt8]) -> Int {
        let n = b.count
        // Look back at most 3 bytes for the lead byte of a trailing partial sequence.
        var i = n - 1
        var continuation = 0
        while i >= 0 && continuation < 3 && b[i] & 0xC0 == 0x80 { i -= 1; continuation += 1 }
        guard i >= 0 else { return n }   // only continuation bytes: invalid, emit them
        let lead = b[i]
        let need: Int
        switch lead {
        case 0xC2 ... 0xDF: need = 1
        case 0xE0 ... 0xEF: need = 2
        case 0xF0 ... 0xF4: need = 3
        default: return n                // ASCII or an invalid lead: nothing to wait for
        }
        if continuation >= need { return n }
        // Check the partial sequence could still be valid (E0/ED/F0/F4 second-byte ranges).
        if continuation >= 1 {
            let second = b[i + 1]
            if (lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F)
                || (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F) { return n }
        }
        return i
    }
}
