/// Scalars on either side of a byte offset in valid UTF-8, and the whitespace (`\s`) and
/// word-character (`\w`) tests of Rust's `regex` that Hugging Face's added-token options
/// (`lstrip`, `rstrip`, `single_word`) are defined with.
enum UTF8Scan {
    /// The scalar that starts at byte `i` (nil at the end of the text).
    static func scalar(at i: Int, in t: [UInt8]) -> Unicode.Scalar? {
        guard i >= 0, i < t.count else { return nil }
        var end = i + 1
        while end < t.count && t[end] & 0xC0 == 0x80 { end += 1 }
        return String(decoding: t[i ..< end], as: UTF8.self).unicodeScalars.first
    }

    /// Where the scalar that ends at byte `i` starts (nil at the start of the text).
    static func start(before i: Int, in t: [UInt8]) -> Int? {
        guard i > 0, i <= t.count else { return nil }
        var s = i - 1
        while s > 0 && t[s] & 0xC0 == 0x80 { s -= 1 }
        return s
    }

    static func scalar(before i: Int, in t: [UInt8]) -> Unicode.Scalar? {
        start(before: i, in: t).flatMap { scalar(at: $0, in: t) }
    }

    /// Start of the whitespace run that ends at byte `i` (`i` when there is none).
    static func whitespaceStart(before i: Int, in t: [UInt8]) -> Int {
        var i = i
        while let s = start(before: i, in: t), let c = scalar(at: s, in: t), c.properties.isWhitespace { i = s }
        return i
    }

    /// End of the whitespace run that starts at byte `i` (`i` when there is none).
    static func whitespaceEnd(from i: Int, in t: [UInt8]) -> Int {
        var i = i
        while let c = scalar(at: i, in: t), c.properties.isWhitespace { i += UTF8.width(c) }
        return i
    }

    /// `\w`: alphabetic, marks, decimal digits, connector punctuation, join controls.
    static func isWordCharacter(_ c: Unicode.Scalar?) -> Bool {
        guard let c else { return false }
        let p = c.properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}
