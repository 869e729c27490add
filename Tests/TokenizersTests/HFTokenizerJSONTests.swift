import Foundation
import Tokenizers
import XCTest

/// tokenizer.json tokenizers encode and decode exactly as the Python `tokenizers` package
/// (goldens made by scripts/golden/make_tiny_checkpoints.py).
final class HFTokenizerJSONTests: XCTestCase {
    static func folder(_ name: String) -> String { TokenizerFixtures.url.appendingPathComponent(name).path }

    /// The golden of one tokenizer: ids with special tokens parsed, the ids that differ when
    /// they are not, the decoded text where it is not the input (and, when the golden has
    /// them, the decoded text without special tokens where that is not the input).
    struct Golden {
        var ids: [[Int32]]
        var noSpecial: [String: [Int32]]
        var detokDiffers: [String: String]
        var detokSkip: [String: String]?

        init(_ obj: [String: Any]) throws {
            func ints(_ v: Any?) throws -> [Int32] {
                guard let a = v as? [Int] else { throw CocoaError(.fileReadCorruptFile) }
                return a.map { Int32($0) }
            }
            ids = try (obj["ids"] as? [Any] ?? []).map(ints)
            noSpecial = try (obj["nospecial"] as? [String: Any] ?? [:]).mapValues(ints)
            detokDiffers = obj["detok_differs"] as? [String: String] ?? [:]
            detokSkip = obj["detok_skip"] as? [String: String]
        }
    }

    func check(_ tok: any Tokenizer, _ strings: [String], _ golden: Golden, addSpecial: Bool = false, name: String) {
        XCTAssertEqual(golden.ids.count, strings.count, name)
        let mismatches = Self.mismatches(tok, strings, golden, addSpecial: addSpecial)
        XCTAssertTrue(mismatches.isEmpty, "\(name): \(mismatches.count) mismatches; first:\n" + mismatches.prefix(6).joined(separator: "\n"))
    }

    /// Where `tok` encodes or decodes `strings` otherwise than `golden` says.
    static func mismatches(_ tok: any Tokenizer, _ strings: [String], _ golden: Golden, addSpecial: Bool) -> [String] {
        var mismatches: [String] = []
        for (i, s) in strings.enumerated() where i < golden.ids.count {
            let want = golden.ids[i]
            let got = tok.encode(s, addSpecial: addSpecial, parseSpecial: true)
            if got != want { mismatches.append("#\(i) \(s.debugDescription)\n  want \(want)\n  got  \(got)") }
            let wantPlain = golden.noSpecial[String(i)] ?? want
            let gotPlain = tok.encode(s, addSpecial: addSpecial, parseSpecial: false)
            if gotPlain != wantPlain { mismatches.append("#\(i) \(s.debugDescription) (special tokens as text)\n  want \(wantPlain)\n  got  \(gotPlain)") }
            let text = golden.detokDiffers[String(i)] ?? s
            let decoded = tok.decode(want, skipSpecial: false)
            if decoded != text { mismatches.append("#\(i) decode: want \(text.debugDescription) got \(decoded.debugDescription)") }
            if let skip = golden.detokSkip {
                let text = skip[String(i)] ?? s, decoded = tok.decode(want, skipSpecial: true)
                if decoded != text { mismatches.append("#\(i) decode without special tokens: want \(text.debugDescription) got \(decoded.debugDescription)") }
            }
        }
        return mismatches
    }

    func testTinyCheckpointTokenizersMatchTokenizersPackage() throws {
        XCTAssertGreaterThanOrEqual(TokenizerGoldenTests.corpus.count, 2000)
        for model in ["tiny-gpt2", "tiny-qwen2", "tiny-qwen3", "tiny-phi3"] {
            let hf = try TokenizerFactory.load(huggingFaceFolder: Self.folder(model))
            let data = try Data(contentsOf: TokenizerFixtures.url.appendingPathComponent("\(model)/tokens.json"))
            let golden = try Golden(try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:])
            check(hf.tokenizer, TokenizerGoldenTests.corpus, golden, name: model)
        }
    }

    /// Added-token options, byte fallback, unknown tokens, ignore_merges, string merges, other
    /// patterns and normalizers, a BOS template: each variant on a few hundred strings.
    func testVariantsMatchTokenizersPackage() throws {
        let data = try Data(contentsOf: TokenizerFixtures.url.appendingPathComponent("hf-tokenizer-variants.json"))
        let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let strings = root["strings"] as? [String] ?? []
        let variants = root["variants"] as? [[String: Any]] ?? []
        XCTAssertGreaterThanOrEqual(variants.count, 12)
        for v in variants {
            let name = v["name"] as? String ?? "?"
            let json = try JSONSerialization.data(withJSONObject: v["tokenizer"] ?? [:])
            let tok = try HFTokenizerJSON(tokenizerJSON: json).tokenizer
            check(tok, strings, try Golden(v), addSpecial: v["add_special"] as? Bool ?? false, name: name)
        }
    }

    func testConfigGivesSpecialTokensAndTemplate() throws {
        let gpt2 = try TokenizerFactory.load(huggingFaceFolder: Self.folder("tiny-gpt2"))
        let eot = gpt2.tokenizer.encode("<|endoftext|>", addSpecial: false, parseSpecial: true)
        XCTAssertEqual(eot.count, 1)
        XCTAssertEqual(gpt2.tokenizer.bosTokenID, eot.first)
        XCTAssertEqual(gpt2.tokenizer.eosTokenID, eot.first)
        XCTAssertFalse(gpt2.tokenizer.addBOS)
        XCTAssertNil(gpt2.chatTemplate)
        XCTAssertTrue(gpt2.tokenizer.isControl(eot[0]))
        XCTAssertEqual(gpt2.tokenizer.decode(eot + gpt2.tokenizer.encode("hi", addSpecial: false, parseSpecial: true)), "hi")

        let qwen = try TokenizerFactory.load(huggingFaceFolder: Self.folder("tiny-qwen2"))
        let template = try String(contentsOf: TokenizerFixtures.url.appendingPathComponent("chat-templates/qwen2.5.jinja"), encoding: .utf8)
        XCTAssertEqual(qwen.chatTemplate, template)
        XCTAssertNil(qwen.tokenizer.bosTokenID)
        XCTAssertEqual(qwen.config.eosToken, "<|im_end|>")
        let ids = qwen.tokenizer.encode("<|im_start|>user\nHi<|im_end|><tool_call>", addSpecial: true, parseSpecial: true)
        let (start, end, call) = (ids[0], ids[ids.count - 2], ids[ids.count - 1])
        XCTAssertEqual(qwen.tokenizer.tokenText(start), "<|im_start|>")
        XCTAssertEqual(qwen.tokenizer.eosTokenID, end)
        XCTAssertEqual(qwen.tokenizer.eogTokenIDs, [end, qwen.tokenizer.encode("<|endoftext|>", addSpecial: false, parseSpecial: true)[0]])
        XCTAssertFalse(qwen.tokenizer.isControl(call), "<tool_call> is not special")
        XCTAssertEqual(qwen.tokenizer.decode(ids, skipSpecial: true), "user\nHi<tool_call>")
        // Not parsing special tokens leaves them text but still splits the non-special one.
        let plain = qwen.tokenizer.encode("<|im_end|><tool_call>", addSpecial: false, parseSpecial: false)
        XCTAssertFalse(plain.contains(end))
        XCTAssertEqual(plain.last, call)
    }

    /// A folder without tokenizer.json is a typed error; a chat_template.jinja beside
    /// tokenizer.json is the template when tokenizer_config.json has none.
    func testFolderFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-hf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertEqual(try? TokenizerFactory.load(huggingFaceFolder: dir.path).tokenizer.vocabularySize, nil)
        XCTAssertThrowsError(try TokenizerFactory.load(huggingFaceFolder: dir.path)) {
            XCTAssertEqual($0 as? TokenizerError, .missing(dir.appendingPathComponent("tokenizer.json").path))
        }
        for name in ["tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: TokenizerFixtures.url.appendingPathComponent("tiny-gpt2/\(name)"), to: dir.appendingPathComponent(name))
        }
        try Data("{{ messages }}".utf8).write(to: dir.appendingPathComponent("chat_template.jinja"))
        XCTAssertEqual(try TokenizerFactory.load(huggingFaceFolder: dir.path).chatTemplate, "{{ messages }}")
    }

    /// The incremental detokenizer works on tokenizer.json vocabularies too.
    func testIncrementalDetokenizer() throws {
        let tok = try TokenizerFactory.load(huggingFaceFolder: Self.folder("tiny-qwen2")).tokenizer
        for s in TokenizerGoldenTests.corpus.prefix(300) {
            let ids = tok.encode(s, addSpecial: false, parseSpecial: false)
            var detok = IncrementalDetokenizer(tokenizer: tok)
            let text = ids.map { detok.push($0) }.joined() + detok.finish()
            XCTAssertEqual(text, tok.decode(ids, skipSpecial: true))
        }
    }

    /// Vocabulary spellings are compared byte for byte: U+09DF and its canonical equivalent
    /// U+09AF U+09BC are two tokens (a Swift Dictionary of Strings would merge them).
    func testCanonicallyEquivalentSpellingsStayApart() throws {
        let json = #"""
        {"model": {"type": "BPE", "vocab": {"\u09af": 0, "\u09bc": 1, "\u09df": 2, "\u09af\u09bc": 3}, "merges": ["\u09af \u09bc"]},
         "pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}}
        """#
        let hf = try HFTokenizerJSON(tokenizerJSON: Data(json.utf8))
        XCTAssertEqual(hf.tokenizer.vocabularySize, 4)
        let scalars = (0 ..< 4).map { hf.tokenizer.tokenText(Int32($0)).map { Array($0.unicodeScalars) } }
        XCTAssertEqual(scalars, [["\u{9af}"], ["\u{9bc}"], ["\u{9df}"], ["\u{9af}", "\u{9bc}"]])
    }
}
