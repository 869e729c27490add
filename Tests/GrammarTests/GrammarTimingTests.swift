import Foundation
import Grammar
import JSON
import XCTest

/// Prints compile and mask times (no timed assertions: run in a release build to read them,
/// `swift test -c release --filter GrammarTimingTests`).
final class GrammarTimingTests: XCTestCase {
    /// Cold masks take seconds unoptimized: the model timings run in release builds only.
    static func skipUnlessOptimized() throws {
        #if DEBUG
        throw XCTSkip("timings: run `swift test -c release --filter GrammarTimingTests`")
        #endif
    }

    static func milliseconds(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
    }

    func testCompileThirtyPropertySchema() throws {
        let schema = TimingCases.thirtyProperties
        var times: [Double] = []
        var grammar: Grammar?
        for _ in 0..<10 { times.append(try Self.milliseconds { grammar = try Grammar(jsonSchema: schema, options: TimingCases.servedOptions) }) }
        let g = try XCTUnwrap(grammar)
        print(String(format: "grammar: 30-property schema compiles in %.2f ms (median of 10; %d rules, %d elements)",
                     times.sorted()[5], g.ruleCount, g.elementCount))
    }

    func report(model: String) throws {
        try Self.skipUnlessOptimized()
        let (_, vocabulary) = try TokenMaskerTests.vocabulary(model)
        var built: TokenVocabulary?
        let once = Self.milliseconds { built = TokenVocabulary(tokenBytes: vocabulary) }
        let shared = try XCTUnwrap(built)
        var masker: TokenMasker?
        let g = try Grammar(jsonSchema: TimingCases.thirtyProperties, options: TimingCases.servedOptions)
        let build = Self.milliseconds { masker = TokenMasker(grammar: g, vocabulary: shared) }
        let m0 = try XCTUnwrap(masker)
        print(String(format: "grammar: %@ (%d tokens): TokenVocabulary init (once per model) %.1f ms, TokenMasker init (per grammar) %.3f ms",
                     model, vocabulary.count, once, build))
        let states = [
            ("inside a string", #"{"field_0_": "The quick brown"#),
            ("between properties", #"{"field_0_": "a", "field_1_x": 12, "#),
            ("inside a number", #"{"field_0_": "a", "field_1_x": 12, "field_2_xx": "2024-01-01T10:00:00Z", "field_3_xxx": "draft", "field_4_xxxx": 3.14"#),
            ("inside a date-time", #"{"field_0_": "a", "field_1_x": 12, "field_2_xx": "2024-01-"#),
        ]
        var mask = [UInt32](repeating: 0, count: m0.maskWords)
        var scratch = MaskScratch()
        for (name, prefix) in states {
            var m = GrammarMatcher(grammar: g)
            XCTAssertTrue(m.accept(bytes: Array(prefix.utf8)), name)
            let cold = mask.withUnsafeMutableBufferPointer { p in Self.milliseconds { m0.fillMask(m, into: p.baseAddress!, scratch: &scratch) } }
            var warm: [Double] = []
            for _ in 0..<20 {
                warm.append(mask.withUnsafeMutableBufferPointer { p in Self.milliseconds { m0.fillMask(m, into: p.baseAddress!, scratch: &scratch) } })
            }
            let allowed = mask.reduce(0) { $0 + $1.nonzeroBitCount }
            print(String(format: "grammar: %@ %@: first mask %.2f ms, then %.3f ms (median of 20); %d tokens allowed",
                         model, name, cold, warm.sorted()[10], allowed))
        }
    }

    /// Mask time per step while decoding each case's document token by token, all grammars on
    /// one `TokenVocabulary`: the first pass is a first request (compile, masker, cold
    /// entries), the second (same masker, as for a second request with the schema) hits the cache.
    func decodeReport(model: String) throws {
        try Self.skipUnlessOptimized()
        let (tokenizer, _) = try TokenMaskerTests.vocabulary(model)
        let vocabulary = try TokenMaskerTests.sharedVocabulary(model)
        for (label, schema, document) in try TimingCases.decodeCases {
            var grammar: Grammar?, masker: TokenMasker?
            let setup = try Self.milliseconds {
                let g = try schema.map { try Grammar(jsonSchema: $0, options: TimingCases.servedOptions) } ?? Grammar.anyJSONObject(options: TimingCases.servedOptions)
                grammar = g
                masker = TokenMasker(grammar: g, vocabulary: vocabulary)
            }
            let g = try XCTUnwrap(grammar), mk = try XCTUnwrap(masker)
            let tokens = tokenizer.encode(document, addSpecial: false, parseSpecial: false).map(Int.init)
            var mask = [UInt32](repeating: 0, count: mk.maskWords)
            var scratch = MaskScratch()
            print(String(format: "grammar: %@ %@: compile + masker setup %.2f ms", model, label, setup))
            for pass in ["first request", "second request"] {
                var m = GrammarMatcher(grammar: g)
                var times: [Double] = []
                for t in tokens {
                    times.append(mask.withUnsafeMutableBufferPointer { p in Self.milliseconds { mk.fillMask(m, into: p.baseAddress!, scratch: &scratch) } })
                    XCTAssertTrue(TokenMaskerTests.bit(mask, t), "the document's next token is masked out")
                    XCTAssertTrue(m.accept(token: t, masker: mk))
                }
                XCTAssertTrue(m.canEnd)
                print("grammar: \(model) \(label), \(tokens.count) tokens, \(pass): mask per step " + TimingCases.distribution(times)
                      + ", \(times.filter { $0 > 20 }.count) steps > 20 ms")
            }
            print("grammar: \(model) \(label): \(mk.cachedStates) cache entries")
        }
    }

    func testDecodeMaskTimesSmolLM2() throws { try decodeReport(model: "SmolLM2-135M-Instruct.Q4_1.gguf") }

    func testDecodeMaskTimesGemma3() throws { try decodeReport(model: "gemma-3-270m-q4_k_m.gguf") }

    func testMaskTimesSmolLM2() throws { try report(model: "SmolLM2-135M-Instruct.Q4_1.gguf") }

    func testMaskTimesGemma3() throws { try report(model: "gemma-3-270m-q4_k_m.gguf") }
}
