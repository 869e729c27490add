import Foundation
import Grammar
import JSON
import XCTest

/// Prints compile and mask times (no timed assertions: run in a release build to read them,
/// `swift test -c release --filter GrammarTimingTests`).
final class GrammarTimingTests: XCTestCase {
    /// 30 properties of every kind: bounded strings, formats, enums, integer ranges, numbers,
    /// booleans, arrays, a nested object, optional ones.
    static var thirtyProperties: JSON {
        var props: [(String, JSON)] = []
        for i in 0..<30 {
            let s: JSON
            switch i % 10 {
            case 0: s = ["type": "string", "maxLength": 40]
            case 1: s = ["type": "integer", "minimum": 0, "maximum": 100_000]
            case 2: s = ["type": "string", "format": "date-time"]
            case 3: s = ["enum": ["draft", "review", "published", "archived"]]
            case 4: s = ["type": "number"]
            case 5: s = ["type": "boolean"]
            case 6: s = ["type": "array", "items": ["type": "string", "maxLength": 20], "maxItems": 8]
            case 7: s = ["type": "object", "properties": ["lat": ["type": "number"], "lon": ["type": "number"]], "required": ["lat", "lon"]]
            case 8: s = ["anyOf": [["type": "string", "format": "email"], ["type": "null"]]]
            default: s = ["type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"]
            }
            props.append(("field_\(i)_" + String(repeating: "x", count: i % 7), s))
        }
        let required = JSON.array(props.enumerated().filter { $0.offset % 3 != 2 }.map { .string($0.element.0) })
        return ["type": "object", "properties": .object(props), "required": required, "additionalProperties": false]
    }

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
        let schema = Self.thirtyProperties
        var times: [Double] = []
        var grammar: Grammar?
        for _ in 0..<10 { times.append(try Self.milliseconds { grammar = try Grammar(jsonSchema: schema) }) }
        let g = try XCTUnwrap(grammar)
        print(String(format: "grammar: 30-property schema compiles in %.2f ms (median of 10; %d rules, %d elements)",
                     times.sorted()[5], g.ruleCount, g.elementCount))
    }

    func report(model: String) throws {
        try Self.skipUnlessOptimized()
        let (_, vocabulary) = try TokenMaskerTests.vocabulary(model)
        let g = try Grammar(jsonSchema: Self.thirtyProperties)
        var masker: TokenMasker?
        let build = Self.milliseconds { masker = TokenMasker(grammar: g, vocabulary: vocabulary) }
        let m0 = try XCTUnwrap(masker)
        print(String(format: "grammar: %@ (%d tokens): TokenMasker init %.1f ms", model, vocabulary.count, build))
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

    /// A document of `thirtyProperties` with every property, in `", "`/`": "` style.
    static var thirtyPropertyDocument: String {
        let values = [#""The quick brown fox jumps over it""#, "12345", #""2024-05-06T07:08:09Z""#, #""review""#, "3.25",
                      "true", #"["alpha", "beta"]"#, #"{"lat": 48.85, "lon": 2.35}"#, #""someone@example.com""#, #""ABC-1234""#]
        let fields = (0..<30).map { i in "\"field_\(i)_" + String(repeating: "x", count: i % 7) + "\": " + values[i % 10] }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// Mask time per step while decoding a whole document token by token: the first pass
    /// fills the cache, the second (same masker, as for a second request with the schema) hits it.
    func decodeReport(model: String) throws {
        try Self.skipUnlessOptimized()
        let (tokenizer, vocabulary) = try TokenMaskerTests.vocabulary(model)
        let g = try Grammar(jsonSchema: Self.thirtyProperties)
        let masker = TokenMasker(grammar: g, vocabulary: vocabulary)
        let tokens = tokenizer.encode(Self.thirtyPropertyDocument, addSpecial: false, parseSpecial: false).map(Int.init)
        var mask = [UInt32](repeating: 0, count: masker.maskWords)
        var scratch = MaskScratch()
        for pass in ["first request", "second request"] {
            var m = GrammarMatcher(grammar: g)
            var times: [Double] = []
            for t in tokens {
                times.append(mask.withUnsafeMutableBufferPointer { p in Self.milliseconds { masker.fillMask(m, into: p.baseAddress!, scratch: &scratch) } })
                XCTAssertTrue(TokenMaskerTests.bit(mask, t), "the document's next token is masked out")
                XCTAssertTrue(m.accept(token: t, masker: masker))
            }
            XCTAssertTrue(m.canEnd)
            let sorted = times.sorted()
            print(String(format: "grammar: %@ decoding a 30-property document (%d tokens), %@: mask per step mean %.3f ms, median %.3f ms, max %.2f ms, total %.1f ms",
                         model, tokens.count, pass, times.reduce(0, +) / Double(times.count), sorted[sorted.count / 2], sorted.last ?? 0, times.reduce(0, +)))
        }
        print("grammar: \(model): \(masker.cachedStates) cache entries")
    }

    func testDecodeMaskTimesSmolLM2() throws { try decodeReport(model: "SmolLM2-135M-Instruct.Q4_1.gguf") }

    func testDecodeMaskTimesGemma3() throws { try decodeReport(model: "gemma-3-270m-q4_k_m.gguf") }

    func testMaskTimesSmolLM2() throws { try report(model: "SmolLM2-135M-Instruct.Q4_1.gguf") }

    func testMaskTimesGemma3() throws { try report(model: "gemma-3-270m-q4_k_m.gguf") }
}
