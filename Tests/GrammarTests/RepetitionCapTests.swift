import Grammar
import JSON
import TestSupport
import XCTest

/// The mask cache keys deep levels of a bounded repetition (`x{0,512}`) as one
/// (`Grammar.repetitionCap`): masks must still match brute force at every remaining budget,
/// above, at and below the cap (the vocabulary's longest token + 1), and the entries must not
/// grow with the bound.
final class RepetitionCapTests: XCTestCase {
    /// Strings and arrays (at most and at least so many) bounded well above the synthetic vocabulary's longest token (8
    /// bytes, so the cap is 9), and a string bounded below it (its base is its top level).
    static let schema: JSON = ["type": "object", "properties": [
        "name": ["type": "string", "maxLength": 30],
        "tags": ["type": "array", "items": ["type": "string", "maxLength": 12], "maxItems": 20],
        "code": ["type": "string", "maxLength": 7],
        "ids": ["type": "array", "items": ["type": "integer"], "minItems": 12, "maxItems": 14],
    ], "required": ["name", "tags"]]

    /// Documents that run into every bound: 30 characters (multi-byte, escapes), 20 items of 12.
    static var documents: [String] {
        let tags = (0..<20).map { i in #""\#(String(repeating: i % 2 == 0 ? "é" : "a", count: 12))""# }
        return [
            #"{"name": "abé日\"xy\u00e9🇨🇭 naïve café 12 \\Item", "tags": [\#(tags.joined(separator: ", "))], "code": "ab\"é🇨🇭", "ids": [\#((1...13).map(String.init).joined(separator: ","))]}"#,
            #"{"name":"","tags":["", "x"], "code": "abcabca"}"#,
        ]
    }

    func testMasksMatchBruteForceAtEveryBudget() throws {
        let vocabulary = TokenVocabulary(tokenBytes: TokenVocabularyTests.synthetic)
        let masker = TokenMasker(grammar: try Grammar(jsonSchema: Self.schema), vocabulary: vocabulary)
        var scratch = MaskScratch()
        for d in Self.documents { TokenVocabularyTests.checkEveryPrefix(masker, d, scratch: &scratch) }
        // Over the limit: one more character is rejected, and the mask says so.
        var m = GrammarMatcher(grammar: masker.grammar)
        XCTAssertTrue(m.accept(bytes: Array(#"{"name": ""#.utf8) + Array(repeating: UInt8(ascii: "b"), count: 30)))
        XCTAssertFalse(m.accept(bytes: [UInt8(ascii: "b")]))
    }

    func testDeepLevelsShareCacheEntries() throws {
        let vocabulary = TokenVocabulary(tokenBytes: TokenVocabularyTests.synthetic)
        func entries(maxLength: Int) throws -> Int {
            let g = try Grammar(jsonSchema: ["type": "string", "maxLength": .number(.integer(maxLength))])
            let masker = TokenMasker(grammar: g, vocabulary: vocabulary)
            var scratch = MaskScratch()
            TokenVocabularyTests.checkEveryPrefix(masker, "\"" + String(repeating: "ab", count: 20) + "\"", scratch: &scratch)
            return masker.cachedStates
        }
        // 40 characters from a bound of 50 or 500 stay above the cap (9) throughout: the
        // same entries, not one per character.
        let (small, large) = (try entries(maxLength: 50), try entries(maxLength: 500))
        XCTAssertEqual(small, large)
        XCTAssertLessThan(large, 20)
    }

    /// The served bounds (512 characters) on a real vocabulary: states inside a long string
    /// at budgets above, near and below the cap (SmolLM2's longest token is 81 bytes).
    func testServedBoundsOnSmolLM2() throws {
        let (_, bytes) = try TokenMaskerTests.vocabulary("SmolLM2-135M-Instruct.Q4_1.gguf")
        let masker = TokenMasker(grammar: try Grammar(jsonSchema: ["type": "object", "properties": ["note": ["type": "string"]]],
                                                      options: TimingCases.servedOptions),
                                 vocabulary: try TokenMaskerTests.sharedVocabulary("SmolLM2-135M-Instruct.Q4_1.gguf"))
        var mask = [UInt32](repeating: 0, count: masker.maskWords)
        for length in [0, 5, 300, 430, 431, 470, 505, 511, 512] {
            var m = GrammarMatcher(grammar: masker.grammar)
            let body = (0..<length).map { i in UInt8(ascii: i % 7 == 6 ? " " : "q") }
            XCTAssertTrue(m.accept(bytes: Array(#"{"note": ""#.utf8) + body))
            mask.withUnsafeMutableBufferPointer { masker.fillMask(m, into: $0.baseAddress!) }
            XCTAssertEqual(mask, TokenMaskerTests.bruteForce(m, bytes), "after \(length) characters")
        }
    }
}
