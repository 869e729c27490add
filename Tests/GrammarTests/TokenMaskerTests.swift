import Foundation
import Grammar
import JSON
import ModelFormats
import TestSupport
import Tokenizers
import XCTest

/// Masks against brute force (every vocabulary token tried on a copy of the matcher), on
/// states reached by feeding real tokenizations of valid documents, cut at random points.
final class TokenMaskerTests: XCTestCase {
    nonisolated(unsafe) static var loaded: [String: (any Tokenizer, [[UInt8]])] = [:]
    nonisolated(unsafe) static var sharedVocabularies: [String: TokenVocabulary] = [:]

    /// The model's tokenizer and each token's bytes (control tokens: none).
    static func vocabulary(_ model: String) throws -> (any Tokenizer, [[UInt8]]) {
        if let v = loaded[model] { return v }
        let t = try TokenizerFactory.load(from: GGUFFile(path: try requiredModel(model)))
        let bytes = (0..<Int32(t.vocabularySize)).map { t.isControl($0) ? [] : t.tokenBytes($0) }
        loaded[model] = (t, bytes)
        return (t, bytes)
    }

    /// The model's `TokenVocabulary`, built once for all the tests' grammars.
    static func sharedVocabulary(_ model: String) throws -> TokenVocabulary {
        if let v = sharedVocabularies[model] { return v }
        let v = TokenVocabulary(tokenBytes: try vocabulary(model).1)
        sharedVocabularies[model] = v
        return v
    }

    static func bruteForce(_ m: GrammarMatcher, _ vocabulary: [[UInt8]]) -> [UInt32] {
        var mask = [UInt32](repeating: 0, count: (vocabulary.count + 31) / 32)
        for (t, bytes) in vocabulary.enumerated() where !bytes.isEmpty {
            var copy = m
            if copy.accept(bytes: bytes) { mask[t >> 5] |= 1 << UInt32(t & 31) }
        }
        return mask
    }

    func check(model: String, states: Int) throws {
        let (tokenizer, vocabulary) = try Self.vocabulary(model)
        let shared = try Self.sharedVocabulary(model)
        var seed = UInt64(7)
        func next(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int((seed >> 33) % UInt64(n)) }
        let schemas = try SchemaPropertyTests.loadCases()
        var checked = 0
        var grammars: [String: (Grammar, TokenMasker)] = [:]
        while checked < states {
            let s = schemas[next(schemas.count)]
            let valid = s.cases.filter(\.valid)
            guard !valid.isEmpty else { continue }
            let text = valid[next(valid.count)].text
            let tokens = tokenizer.encode(text, addSpecial: false, parseSpecial: false)
            if grammars[s.name] == nil {
                let g = try Grammar(jsonSchema: s.schema)
                grammars[s.name] = (g, TokenMasker(grammar: g, vocabulary: shared))
            }
            guard let (g, masker) = grammars[s.name] else { continue }
            let cut = next(tokens.count + 1)
            guard let m = GrammarMatcher(grammar: g, tokens: tokens[..<cut].map(Int.init), masker: masker) else {
                XCTFail("\(s.name): the grammar rejects a tokenization of \(text.debugDescription)")
                continue
            }
            var mask = [UInt32](repeating: 0, count: masker.maskWords)
            mask.withUnsafeMutableBufferPointer { masker.fillMask(m, into: $0.baseAddress!) }
            let expected = Self.bruteForce(m, vocabulary)
            if mask != expected {
                let diff = (0..<vocabulary.count).filter { Self.bit(mask, $0) != Self.bit(expected, $0) }
                XCTFail("\(model) \(s.name) after \(String(decoding: tokens[..<cut].flatMap { vocabulary[Int($0)] }, as: UTF8.self).debugDescription): "
                        + "\(diff.count) tokens differ, e.g. \(diff.prefix(5).map { String(decoding: vocabulary[$0], as: UTF8.self).debugDescription })")
            }
            XCTAssertEqual(m.canEnd, cut == tokens.count || GrammarMatcherTests.completes(g, tokens[..<cut].flatMap { vocabulary[Int($0)] }))
            checked += 1
        }
    }

    static func bit(_ mask: [UInt32], _ t: Int) -> Bool { (mask[t >> 5] >> UInt32(t & 31)) & 1 != 0 }

    func testMasksMatchBruteForceSmolLM2() throws { try check(model: "SmolLM2-135M-Instruct.Q4_1.gguf", states: 16) }

    func testMasksMatchBruteForceGemma3() throws { try check(model: "gemma-3-270m-q4_k_m.gguf", states: 5) }
}
