// Release-build timings of the Grammar module without building the whole package: see `run`.
// Vocabularies come from dump-vocab.py; documents are tokenized greedily (longest match), which
// is close enough to real tokenizations to visit the same kinds of grammar states.
import Foundation
import Grammar
import JSON

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
}

func loadVocabulary(_ path: String) throws -> [[UInt8]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
        var out: [UInt8] = []
        var i = line.startIndex
        while i < line.endIndex {
            let j = line.index(i, offsetBy: 2)
            out.append(UInt8(line[i..<j], radix: 16) ?? 0)
            i = j
        }
        return out
    }
}

func greedyTokens(_ text: String, _ vocabulary: [[UInt8]]) -> [Int] {
    var ids: [[UInt8]: Int] = [:]
    for (i, t) in vocabulary.enumerated() where !t.isEmpty && ids[t] == nil { ids[t] = i }
    let bytes = Array(text.utf8)
    var out: [Int] = [], i = 0
    while i < bytes.count {
        var best = -1, len = 0
        for n in stride(from: min(32, bytes.count - i), through: 1, by: -1) {
            if let t = ids[Array(bytes[i..<(i + n)])] { best = t; len = n; break }
        }
        if best < 0 { return out }
        out.append(best)
        i += len
    }
    return out
}

func summary(_ times: [Double]) -> String {
    let s = times.sorted()
    func p(_ q: Double) -> Double { s[min(s.count - 1, Int(Double(s.count) * q))] }
    return String(format: "mean %.3f p50 %.3f p90 %.3f p99 %.3f max %.2f total %.1f ms, %d steps > 20 ms",
                  s.reduce(0, +) / Double(s.count), p(0.5), p(0.9), p(0.99), s.last ?? 0, s.reduce(0, +), s.filter { $0 > 20 }.count)
}

let thirtyProperties: JSON = {
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
}()

let thirtyDocument: String = {
    let values = [#""The quick brown fox jumps over it""#, "12345", #""2024-05-06T07:08:09Z""#, #""review""#, "3.25",
                  "true", #"["alpha", "beta"]"#, #"{"lat": 48.85, "lon": 2.35}"#, #""someone@example.com""#, #""ABC-1234""#]
    let fields = (0..<30).map { i in "\"field_\(i)_" + String(repeating: "x", count: i % 7) + "\": " + values[i % 10] }
    return "{" + fields.joined(separator: ", ") + "}"
}()

let cases: [(String, String, String)] = [
    ("30 properties", thirtyProperties.serialized, thirtyDocument),
    ("person", #"{"type":"object","properties":{"name":{"type":"string","minLength":1,"maxLength":60},"age":{"type":"integer","minimum":0,"maximum":150},"email":{"type":"string","format":"email"},"tags":{"type":"array","items":{"type":"string","maxLength":30},"maxItems":5},"address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["street","city","zip"]}},"required":["name","age","email","tags","address"]}"#,
     #"{"name": "Ada Lovelace – «Countess»", "age": 36, "email": "ada@example.org", "tags": ["math", "poetry", "naïve café"], "address": {"street": "12 St James's Square", "city": "London", "zip": "12345"}}"#),
    ("tool call", #"{"type":"object","properties":{"location":{"type":"string","description":"City and country"},"unit":{"enum":["celsius","fahrenheit"]},"days":{"type":"integer","minimum":1,"maximum":14}},"required":["location","unit","days"],"additionalProperties":false}"#,
     #"{"location": "Zürich, Switzerland 🇨🇭", "unit": "celsius", "days": 5}"#),
    ("json_object", "", #"{"title": "Résumé of the \"meeting\"", "items": [1, 2.5, true, null, {"k": "v\n"}], "ok": false}"#),
]

let args = CommandLine.arguments
for path in args.dropFirst() {
    let vocabulary = try loadVocabulary(path)
    let name = URL(fileURLWithPath: path).lastPathComponent
    print("== \(name): \(vocabulary.count) tokens")
    #if NEW_API
    var shared: TokenVocabulary?
    let tv = milliseconds { shared = TokenVocabulary(tokenBytes: vocabulary) }
    print(String(format: "TokenVocabulary init (once per model) %.1f ms", tv))
    #endif
    for (label, schemaText, document) in cases {
        var grammar: Grammar?
        let compile = try milliseconds {
            grammar = schemaText.isEmpty ? Grammar.anyJSONObject() : try Grammar(jsonSchema: try JSONParser.parse(Array(schemaText.utf8)))
        }
        var masker: TokenMasker?
        #if NEW_API
        let setup = milliseconds { masker = TokenMasker(grammar: grammar!, vocabulary: shared!) }
        #else
        let setup = milliseconds { masker = TokenMasker(grammar: grammar!, vocabulary: vocabulary) }
        #endif
        let g = grammar!, mk = masker!
        print(String(format: "%@: compile %.2f ms, TokenMasker init %.2f ms", label, compile, setup))
        let tokens = greedyTokens(document, vocabulary)
        var mask = [UInt32](repeating: 0, count: mk.maskWords)
        var scratch = MaskScratch()
        for pass in ["first request", "steady state"] {
            var m = GrammarMatcher(grammar: g)
            var times: [Double] = []
            for t in tokens {
                times.append(mask.withUnsafeMutableBufferPointer { p in milliseconds { mk.fillMask(m, into: p.baseAddress!, scratch: &scratch) } })
                if (mask[t >> 5] >> UInt32(t & 31)) & 1 == 0 { print("  BUG: next token masked out"); break }
                if !m.accept(token: t, masker: mk) { print("  BUG: token rejected"); break }
            }
            if !m.canEnd { print("  BUG: cannot end") }
            print("  \(pass) (\(tokens.count) tokens): " + summary(times))
        }
    }
}
