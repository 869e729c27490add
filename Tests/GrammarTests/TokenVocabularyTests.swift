import Grammar
import JSON
import XCTest

/// Masks against brute force where the shared vocabulary and the mask automaton could go
/// wrong: two grammars on one `TokenVocabulary` (and one scratch), multi-byte UTF-8 whole and
/// split across tokens, tokens spanning a closing quote and the punctuation after it, and
/// stack sets too large for the automaton's byte signatures. States: every byte prefix of a
/// valid document, so cuts inside characters and escapes are covered too.
final class TokenVocabularyTests: XCTestCase {
    /// A small vocabulary of awkward tokens: UTF-8 characters whole and as lone bytes, quotes
    /// with punctuation, escapes, duplicates, and a control token (no bytes).
    static let synthetic: [[UInt8]] = [
        "a", "b", "x", "y", "ab", "abc", "xy", " ", "  ", "\n", "\n  ", "\"", "\",", "\"}", "\", \"", "\"]", "\"},", "\"}}",
        "a\"", "xy\",", "b\"]", "\\", "\\\"", "\\n", "\\u", "\\u00e9", "\\u00", "00", "e9", "é", "ï", "日本", "語", "🇨🇭",
        "1", "12", "0", "99", ",", ", ", ",\"", ":", ": ", ":\"", "{", "{\"", "}", "]", "[", "[\"", "\"\"", "x\"}", "null",
        "true", "item", "i", "it", "item1", "em", "name", "tags", "title", "note", "caf", "café", "na", "naïve", "a", "\" ",
    ].map { Array($0.utf8) } + [[0xC3], [0xA9], [0xAF], [0xE6], [0x97, 0xA5], [0xF0, 0x9F], [0x87, 0xA8], [0xFF], [0x00], []]

    /// Checks the mask at every byte prefix of `document` (which `grammar` must accept whole).
    static func checkEveryPrefix(_ masker: TokenMasker, _ document: String, scratch: inout MaskScratch,
                                 file: StaticString = #filePath, line: UInt = #line) {
        let bytes = Array(document.utf8)
        var mask = [UInt32](repeating: 0, count: masker.maskWords)
        for cut in 0...bytes.count {
            var m = GrammarMatcher(grammar: masker.grammar)
            guard m.accept(bytes: bytes[..<cut]) else { return XCTFail("the grammar rejects \(document.debugDescription)", file: file, line: line) }
            mask.withUnsafeMutableBufferPointer { masker.fillMask(m, into: $0.baseAddress!, scratch: &scratch) }
            let expected = TokenMaskerTests.bruteForce(m, masker.vocabulary)
            if mask != expected {
                let diff = masker.vocabulary.indices.filter { TokenMaskerTests.bit(mask, $0) != TokenMaskerTests.bit(expected, $0) }
                XCTFail("after \(String(decoding: bytes[..<cut], as: UTF8.self).debugDescription) (\(cut) bytes): \(diff.count) tokens differ, e.g. "
                        + "\(diff.prefix(4).map { masker.vocabulary[$0] })", file: file, line: line)
            }
        }
        var m = GrammarMatcher(grammar: masker.grammar)
        XCTAssertTrue(m.accept(bytes: bytes) && m.canEnd, "incomplete: \(document.debugDescription)", file: file, line: line)
    }

    static let schemaA: JSON = ["type": "object", "properties": [
        "name": ["type": "string", "maxLength": 8],
        "tags": ["type": "array", "items": ["type": "string", "maxLength": 3], "maxItems": 3],
    ], "required": ["name", "tags"]]
    static let schemaB: JSON = ["type": "object", "properties": [
        "title": ["type": "string", "minLength": 2, "maxLength": 5],
        "note": ["type": "string"],
        "name": ["type": "string", "maxLength": 8],
    ], "required": ["title"]]
    static let documentsA = [#"{"name": "abé日\"x", "tags": ["ab", "語\n", ""]}"#, #"{"name":"","tags":[]}"#]
    static let documentsB = [#"{"title": "ab", "note": "café \u00e9 🇨🇭 \\", "name": "naïve"}"#, #"{"title":"日本語xy"}"#]

    func testTwoSchemasShareOneVocabulary() throws {
        let vocabulary = TokenVocabulary(tokenBytes: Self.synthetic)
        let a = TokenMasker(grammar: try Grammar(jsonSchema: Self.schemaA), vocabulary: vocabulary)
        let b = TokenMasker(grammar: try Grammar(jsonSchema: Self.schemaB), vocabulary: vocabulary)
        var scratch = MaskScratch()
        // Interleaved on one scratch: each walk must start from a clean automaton.
        for (da, db) in zip(Self.documentsA, Self.documentsB) {
            Self.checkEveryPrefix(a, da, scratch: &scratch)
            Self.checkEveryPrefix(b, db, scratch: &scratch)
        }
        XCTAssertTrue(a.tokenVocabulary === b.tokenVocabulary)
    }

    func testMultiByteCharactersWholeAndSplit() throws {
        let schema: JSON = ["type": "object", "properties": [
            "e": ["enum": ["café", "naïve", "日本語", "🇨🇭"]],
            "s": ["type": "string", "minLength": 1, "maxLength": 2],
            "p": ["type": "string", "pattern": "^[é日-語]{2}$"],
        ], "required": ["e", "s", "p"]]
        let masker = TokenMasker(grammar: try Grammar(jsonSchema: schema), vocabulary: Self.synthetic)
        var scratch = MaskScratch()
        for doc in [#"{"e": "naïve", "s": "é日", "p": "日é"}"#, #"{"e":"🇨🇭","s":"\u00e9","p":"éé"}"#, #"{"e": "日本語", "s": "語", "p": "語語"}"#] {
            Self.checkEveryPrefix(masker, doc, scratch: &scratch)
        }
    }

    /// Around a closing quote: which of `"`, `",`, `"}`, `x"}` a state allows is decided by
    /// the string's length bound and by what may follow the string.
    func testTokensSpanningTheClosingQuote() throws {
        let schema: JSON = ["type": "object", "properties": [
            "a": ["type": "string", "maxLength": 2],
            "b": ["type": "array", "items": ["type": "string", "maxLength": 1]],
        ], "required": ["a"]]
        let masker = TokenMasker(grammar: try Grammar(jsonSchema: schema), vocabulary: Self.synthetic)
        var scratch = MaskScratch()
        for doc in [#"{"a": "xy", "b": ["a", "b"]}"#, #"{"a": "x"}"#, #"{"a":"","b":[]}"#] { Self.checkEveryPrefix(masker, doc, scratch: &scratch) }
        func allowed(_ prefix: String, _ token: String) -> Bool {
            var m = GrammarMatcher(grammar: masker.grammar)
            XCTAssertTrue(m.accept(bytes: Array(prefix.utf8)))
            var mask = [UInt32](repeating: 0, count: masker.maskWords)
            mask.withUnsafeMutableBufferPointer { masker.fillMask(m, into: $0.baseAddress!, scratch: &scratch) }
            guard let t = Self.synthetic.firstIndex(of: Array(token.utf8)) else { XCTFail("no token \(token)"); return false }
            return TokenMaskerTests.bit(mask, t)
        }
        XCTAssertTrue(allowed(#"{"a": "xy"#, #"","#))
        XCTAssertTrue(allowed(#"{"a": "xy"#, #""}"#))
        XCTAssertFalse(allowed(#"{"a": "xy"#, #"x"}"#))   // a third character
        XCTAssertTrue(allowed(#"{"a": "x"#, #"x"}"#))
        XCTAssertFalse(allowed(#"{"a": "x", "b": ["a"#, #""}"#))  // the array is still open
        XCTAssertTrue(allowed(#"{"a": "x", "b": ["a"#, #""]"#))
        XCTAssertFalse(allowed(#"{"a": "x", "b": [""#, #"xy","#))  // items hold one character
    }

    /// More than 64 stacks alive at once (a hundred choices sharing a prefix): the automaton's
    /// per-byte fallback.
    func testManyLiveStacks() throws {
        let masker = TokenMasker(grammar: try Grammar(choices: (0..<100).map { "item\($0)" }), vocabulary: Self.synthetic)
        var scratch = MaskScratch()
        for doc in ["item1", "item12", "item99", "item0"] { Self.checkEveryPrefix(masker, doc, scratch: &scratch) }
    }

    /// The convenience initializer and a shared vocabulary give the same masks.
    func testConvenienceInitializerMatchesSharedVocabulary() throws {
        let g = try Grammar(jsonSchema: Self.schemaB)
        let own = TokenMasker(grammar: g, vocabulary: Self.synthetic)
        let shared = TokenMasker(grammar: g, vocabulary: TokenVocabulary(tokenBytes: Self.synthetic))
        var m = GrammarMatcher(grammar: g)
        XCTAssertTrue(m.accept(bytes: Array(#"{"title": "a"#.utf8)))
        var x = [UInt32](repeating: 0, count: own.maskWords), y = x
        x.withUnsafeMutableBufferPointer { own.fillMask(m, into: $0.baseAddress!) }
        y.withUnsafeMutableBufferPointer { shared.fillMask(m, into: $0.baseAddress!) }
        XCTAssertEqual(x, y)
        XCTAssertEqual(own.vocabulary, Self.synthetic)
        XCTAssertGreaterThan(x.reduce(0) { $0 + $1.nonzeroBitCount }, 5)
    }

    /// `prepareStart` (run on a request's thread) leaves the first mask a pure cache hit.
    func testPrepareStartComputesTheFirstMasksEntries() throws {
        let masker = TokenMasker(grammar: try Grammar(jsonSchema: Self.schemaA), vocabulary: TokenVocabulary(tokenBytes: Self.synthetic))
        XCTAssertEqual(masker.cachedStates, 0)
        masker.prepareStart()
        let prepared = masker.cachedStates
        XCTAssertGreaterThan(prepared, 0)
        var mask = [UInt32](repeating: 0, count: masker.maskWords)
        let m = GrammarMatcher(grammar: masker.grammar)
        mask.withUnsafeMutableBufferPointer { masker.fillMask(m, into: $0.baseAddress!) }
        XCTAssertEqual(masker.cachedStates, prepared)
        XCTAssertEqual(mask, TokenMaskerTests.bruteForce(m, masker.vocabulary))
    }
}
