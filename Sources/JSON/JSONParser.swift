import Foundation

/// A strict RFC 8259 parser over bytes, scanning them in place: invalid UTF-8, lone
/// surrogates, control characters in strings, trailing garbage, nesting deeper than
/// `maxDepth` and bad numbers are errors naming the byte offset. Integers without fraction
/// or exponent that fit in an Int are kept exactly (`JSONNumber.integer`).
public struct JSONParser {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }

        public init(offset: Int, reason: String) {
            self.offset = offset
            self.reason = reason
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>  // (count) the document
    private var i = 0
    private let maxDepth: Int

    /// Parses one JSON document (a `[UInt8]`, `Data` or a raw buffer); at most `maxDepth`
    /// arrays and objects may nest.
    public static func parse(_ document: some ContiguousBytes, maxDepth: Int = 64) throws -> JSON {
        try document.withUnsafeBytes { raw in
            var p = JSONParser(bytes: raw.assumingMemoryBound(to: UInt8.self), maxDepth: maxDepth)
            p.skipSpace()
            let v = try p.value(depth: 0)
            p.skipSpace()
            guard p.i == p.bytes.count else { throw p.fail("unexpected data after the value") }
            return v
        }
    }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")

    /// A failure at the current byte; at the end of the input it says so instead of `reason`.
    private func fail(_ reason: String) -> Failure {
        Failure(offset: i, reason: i < bytes.count ? reason : "unexpected end of input")
    }

    /// The current byte, or 0 at the end (0 is never valid where a byte is looked at).
    @inline(__always) private func peek() -> UInt8 { i < bytes.count ? bytes[i] : 0 }

    private mutating func skipSpace() {
        while i < bytes.count {
            let b = bytes[i]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            i += 1
        }
    }

    private mutating func value(depth: Int) throws -> JSON {
        switch peek() {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case Self.quote: return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString, _ v: JSON) throws -> JSON {
        for k in 0 ..< word.utf8CodeUnitCount {
            guard peek() == word.utf8Start[k] else { throw fail("unexpected character") }
            i += 1
        }
        return v
    }

    private mutating func object(depth: Int) throws -> JSON {
        .object(try items(depth: depth, close: UInt8(ascii: "}")) { p in
            guard p.peek() == Self.quote else { throw p.fail("expected a string key") }
            let key = try p.string()
            p.skipSpace()
            guard p.peek() == UInt8(ascii: ":") else { throw p.fail("expected ':'") }
            p.i += 1
            p.skipSpace()
            return (key, try p.value(depth: depth))
        })
    }

    private mutating func array(depth: Int) throws -> JSON {
        .array(try items(depth: depth, close: UInt8(ascii: "]")) { p in try p.value(depth: depth) })
    }

    /// The comma-separated items of an array or object, from its opening byte through `close`.
    private mutating func items<T>(depth: Int, close: UInt8, _ item: (inout JSONParser) throws -> T) throws -> [T] {
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        i += 1
        var items: [T] = []
        skipSpace()
        if peek() == close { i += 1; return items }
        while true {
            skipSpace()
            items.append(try item(&self))
            skipSpace()
            switch peek() {
            case UInt8(ascii: ","): i += 1
            case close: i += 1; return items
            default: throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))'")
            }
        }
    }

    /// Skips ASCII digits and returns how many there were.
    private mutating func digits() -> Int {
        let start = i
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
        return i - start
    }

    private mutating func number() throws -> JSONNumber {
        let start = i
        if peek() == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        let intDigits = digits()
        guard intDigits > 0 else { throw fail("digits expected") }
        guard bytes[intStart] != 0x30 || intDigits == 1 else { throw Failure(offset: intStart, reason: "leading zero in a number") }
        if peek() == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw fail("digits expected after '.'") }
        }
        if peek() | 0x20 == UInt8(ascii: "e") {
            i += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("digits expected in the exponent") }
        }
        if i - intStart == intDigits, intDigits <= 18 {  // an integer of up to 18 digits: read in place, it cannot overflow
            let magnitude = UnsafeBufferPointer(rebasing: bytes[intStart ..< i]).reduce(0) { $0 * 10 + Int($1 - 0x30) }
            return .integer(start < intStart ? -magnitude : magnitude)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start ..< i]), as: UTF8.self)
        if let n = Int(text) { return .integer(n) }  // no fraction or exponent, within Int's range
        guard let d = Double(text), d.isFinite else { throw Failure(offset: start, reason: "number out of range") }
        return .double(d)
    }

    /// A string: a run without escapes becomes a String straight from the bytes; one with
    /// escapes is decoded into a buffer first.
    private mutating func string() throws -> String {
        i += 1  // opening quote
        let start = i
        var high: UInt8 = 0  // OR of the bytes: below 0x80 means ASCII
        while i < bytes.count {
            let b = bytes[i]
            if b == Self.quote || b == Self.backslash || b < 0x20 { break }
            high |= b
            i += 1
        }
        guard peek() == Self.quote else { return try escapedString(from: start) }
        let run = UnsafeBufferPointer(rebasing: bytes[start ..< i])
        i += 1
        if high < 0x80 { return String(decoding: run, as: UTF8.self) }
        return try validated(run, from: start)
    }

    private mutating func escapedString(from start: Int) throws -> String {
        var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start ..< i]))
        while true {
            guard i < bytes.count else { throw fail("unterminated string") }
            let b = bytes[i]
            if b == Self.quote { i += 1; break }
            guard b >= 0x20 else { throw fail("control character in a string") }
            i += 1
            if b == Self.backslash { try escape(into: &out) } else { out.append(b) }
        }
        return try out.withUnsafeBufferPointer { try validated($0, from: start) }
    }

    /// `text` as a String, or a failure at the first byte of invalid UTF-8 in the document
    /// from `start` on (escapes are ASCII, so the raw bytes hold the same sequences).
    private func validated(_ text: UnsafeBufferPointer<UInt8>, from start: Int) throws -> String {
        if let s = String(validating: text, as: UTF8.self) { return s }
        var it = UnsafeBufferPointer(rebasing: bytes[start...]).makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = start
        while case .valid(let scalar) = parser.parseScalar(from: &it) { offset += scalar.count }
        throw Failure(offset: offset, reason: "invalid UTF-8 in a string")
    }

    /// After a backslash: one escape, appended to `out` as UTF-8.
    private mutating func escape(into out: inout [UInt8]) throws {
        let e = peek()
        i += 1
        switch e {
        case Self.quote, Self.backslash, UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var code = try hex4()
            if code >= 0xD800 && code < 0xDC00 {
                guard peek() == Self.backslash, i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else {
                    throw fail("lone surrogate in \\u escape")
                }
                i += 2
                let low = try hex4()
                guard low >= 0xDC00 && low < 0xE000 else { throw fail("bad surrogate pair") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if code >= 0xDC00 && code < 0xE000 {
                throw fail("lone surrogate in \\u escape")
            }
            guard let scalar = Unicode.Scalar(code) else { throw fail("bad \\u escape") }
            Unicode.UTF8.encode(scalar) { out.append($0) }
        default:
            i -= 1
            throw fail("bad escape")
        }
    }

    private mutating func hex4() throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0 ..< 4 {
            guard let digit = Character(Unicode.Scalar(peek())).hexDigitValue else { throw fail("bad \\u escape") }
            v = v << 4 | UInt32(digit)
            i += 1
        }
        return v
    }
}
