import Grammar
import JSON

/// Schemas and documents the timing reports use, shared by GrammarTimingTests and the
/// standalone release harness (scripts/grammar-timing compiles this file with its main.swift).
enum TimingCases {
    /// The options the server compiles schemas with (ModelService.grammarOptions): bounded
    /// strings make many string-length states, which the timings must include.
    static let servedOptions = JSONSchemaOptions(maxStringLength: 512, maxItems: 64, maxDepth: 8)

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
}
