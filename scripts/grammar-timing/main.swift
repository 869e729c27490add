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

/// The schemas and documents GrammarTimingTests uses (Tests/GrammarTests/TimingCases.swift, compiled in by `run`).
let defaultCases: [(String, String, String)] = try TimingCases.decodeCases.map { ($0.0, $0.1?.serialized ?? "", $0.2) }

let options = TimingCases.servedOptions

/// With FIXTURES=<schema-cases.json>: every fixture schema's valid documents instead (first request only).
func fixtureCases() throws -> [(String, String, String)]? {
    guard let path = ProcessInfo.processInfo.environment["FIXTURES"] else { return nil }
    let root = try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: path)))
    return (root["schemas"]?.arrayValue ?? []).flatMap { s in
        (s["cases"]?.arrayValue ?? []).filter { $0["valid"]?.boolValue == true }.prefix(3).map {
            (s["name"]?.stringValue ?? "?", (s["schema"] ?? .null).serialized, $0["text"]?.stringValue ?? "")
        }
    }
}

let cases = try fixtureCases() ?? defaultCases
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
            grammar = schemaText.isEmpty ? Grammar.anyJSONObject(options: options) : try Grammar(jsonSchema: try JSONParser.parse(Array(schemaText.utf8)), options: options)
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
