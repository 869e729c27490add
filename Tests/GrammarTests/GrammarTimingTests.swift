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
        var built: TokenVocabulary?
        let once = Self.milliseconds { built = TokenVocabulary(tokenBytes: vocabulary) }
        let shared = try XCTUnwrap(built)
        var masker: TokenMasker?
        let g = try Grammar(jsonSchema: Self.thirtyProperties)
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

    /// A document of `thirtyProperties` with every property, in `", "`/`": "` style.
    static var thirtyPropertyDocument: String {
        let values = [#""The quick brown fox jumps over it""#, "12345", #""2024-05-06T07:08:09Z""#, #""review""#, "3.25",
                      "true", #"["alpha", "beta"]"#, #"{"lat": 48.85, "lon": 2.35}"#, #""someone@example.com""#, #""ABC-1234""#]
        let fields = (0..<30).map { i in "\"field_\(i)_" + String(repeating: "x", count: i % 7) + "\": " + values[i % 10] }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// Realistic schemas with a valid document each: (label, schema (nil: any JSON object), document).
    static var decodeCases: [(String, JSON?, String)] {
        get throws {
            let person = try JSONParser.parse(Array(#"{"type":"object","properties":{"name":{"type":"string","minLength":1,"maxLength":60},"age":{"type":"integer","minimum":0,"maximum":150},"email":{"type":"string","format":"email"},"tags":{"type":"array","items":{"type":"string","maxLength":30},"maxItems":5},"address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["street","city","zip"]}},"required":["name","age","email","tags","address"]}"#.utf8))
            let tool = try JSONParser.parse(Array(#"{"type":"object","properties":{"location":{"type":"string"},"unit":{"enum":["celsius","fahrenheit"]},"days":{"type":"integer","minimum":1,"maximum":14}},"required":["location","unit","days"],"additionalProperties":false}"#.utf8))
            return [
                ("30 properties", thirtyProperties, thirtyPropertyDocument),
                ("person", person, #"{"name": "Ada Lovelace – «Countess»", "age": 36, "email": "ada@example.org", "tags": ["math", "poetry", "naïve café"], "address": {"street": "12 St James's Square", "city": "London", "zip": "12345"}}"#),
                ("tool call", tool, #"{"location": "Zürich, Switzerland 🇨🇭", "unit": "celsius", "days": 5}"#),
                ("json_object", nil, #"{"title": "Résumé of the \"meeting\"", "items": [1, 2.5, true, null, {"k": "v\n"}], "ok": false}"#),
            ]
        }
    }

    static func distribution(_ times: [Double]) -> String {
        let s = times.sorted()
        func p(_ q: Double) -> Double { s[min(s.count - 1, Int(Double(s.count) * q))] }
        return String(format: "mean %.3f p50 %.3f p90 %.3f p99 %.3f max %.2f total %.1f ms",
                      s.reduce(0, +) / Double(max(s.count, 1)), p(0.5), p(0.9), p(0.99), s.last ?? 0, s.reduce(0, +))
    }

    /// Mask time per step while decoding each case's document token by token, all grammars on
    /// one `TokenVocabulary`: the first pass is a first request (compile, masker, cold
    /// entries), the second (same masker, as for a second request with the schema) hits the cache.
    func decodeReport(model: String) throws {
        try Self.skipUnlessOptimized()
        let (tokenizer, _) = try TokenMaskerTests.vocabulary(model)
        let vocabulary = try TokenMaskerTests.sharedVocabulary(model)
        for (label, schema, document) in try Self.decodeCases {
            var grammar: Grammar?, masker: TokenMasker?
            let setup = try Self.milliseconds {
                let g = try schema.map { try Grammar(jsonSchema: $0) } ?? Grammar.anyJSONObject()
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
                print("grammar: \(model) \(label), \(tokens.count) tokens, \(pass): mask per step " + Self.distribution(times)
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
