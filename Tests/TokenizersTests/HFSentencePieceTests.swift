import Foundation
import Tokenizers
import XCTest

/// SentencePiece-style tokenizer.json files (Llama 2, Mistral, TinyLlama, Gemma: BPE with
/// byte fallback, "▁" for spaces) encode and decode exactly as the Python `tokenizers`
/// package (goldens made by scripts/golden/make_sentencepiece_golden.py).
final class HFSentencePieceTests: XCTestCase {
    struct Fixture {
        let model: [String: Any]
        let strings: [String]
        let variants: [[String: Any]]

        init() throws {
            let data = try Data(contentsOf: TokenizerFixtures.url.appendingPathComponent("hf-sentencepiece-variants.json"))
            let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
            model = root["model"] as? [String: Any] ?? [:]
            strings = root["strings"] as? [String] ?? []
            variants = root["variants"] as? [[String: Any]] ?? []
        }

        /// The tokenizer.json of a variant: the shared model with the variant's parts around it.
        func tokenizerJSON(_ variant: [String: Any]) throws -> Data {
            var parts = variant["parts"] as? [String: Any] ?? [:]
            var model = self.model
            model["fuse_unk"] = parts.removeValue(forKey: "fuse_unk") ?? true
            parts["model"] = model
            parts["version"] = "1.0"
            return try JSONSerialization.data(withJSONObject: parts)
        }

        func variant(_ name: String) throws -> [String: Any] {
            guard let v = variants.first(where: { $0["name"] as? String == name }) else { throw CocoaError(.fileReadCorruptFile) }
            return v
        }
    }

    /// Prepend+Replace normalizers, Metaspace first/always/never with and without split, the
    /// legacy add_prefix_space, Gemma's Replace alone; byte fallback, fused and unfused <unk>,
    /// BOS templates; both decoders, with and without special tokens.
    func testVariantsMatchTokenizersPackage() throws {
        let fixture = try Fixture()
        XCTAssertGreaterThanOrEqual(fixture.variants.count, 6)
        XCTAssertGreaterThanOrEqual(fixture.strings.count, 80)
        for v in fixture.variants {
            let name = v["name"] as? String ?? "?"
            let tok = try HFTokenizerJSON(tokenizerJSON: try fixture.tokenizerJSON(v)).tokenizer
            let golden = try HFTokenizerJSONTests.Golden(v)
            XCTAssertNotNil(golden.detokSkip, name)
            XCTAssertEqual(golden.ids.count, fixture.strings.count, name)
            let mismatches = HFTokenizerJSONTests.mismatches(tok, fixture.strings, golden, addSpecial: v["add_special"] as? Bool ?? false)
            XCTAssertTrue(mismatches.isEmpty, "\(name): \(mismatches.count) mismatches; first:\n" + mismatches.prefix(6).joined(separator: "\n"))
        }
    }

    /// A Llama 2 style checkpoint folder: BOS from tokenizer_config.json, the goldens of its
    /// variant, byte-fallback tokens as bytes for the incremental detokenizer.
    func testCheckpointFolder() throws {
        let fixture = try Fixture()
        let v = try fixture.variant("llama2")
        let hf = try TokenizerFactory.load(huggingFaceFolder: HFTokenizerJSONTests.folder("tiny-llama2-spm"))
        let tok = hf.tokenizer
        XCTAssertTrue(tok.addBOS)
        XCTAssertEqual(tok.bosTokenID, 1)
        XCTAssertEqual(tok.eosTokenID, 2)
        XCTAssertEqual(tok.eogTokenIDs, [2])
        let mismatches = HFTokenizerJSONTests.mismatches(tok, fixture.strings, try HFTokenizerJSONTests.Golden(v), addSpecial: true)
        XCTAssertTrue(mismatches.isEmpty, "\(mismatches.count) mismatches; first:\n" + mismatches.prefix(6).joined(separator: "\n"))

        let ids = tok.encode("Hi 😀 there", addSpecial: true, parseSpecial: true)
        XCTAssertEqual(ids.first, 1)
        XCTAssertTrue(ids.contains { tok.tokenText($0) == "<0xF0>" }, "the emoji falls back to bytes")
        XCTAssertEqual(tok.decode(ids), "Hi 😀 there")
        var detok = IncrementalDetokenizer(tokenizer: tok)
        // Token by token the first word keeps its space (a generated continuation needs it).
        XCTAssertEqual(ids.map { detok.push($0) }.joined() + detok.finish(), " Hi 😀 there")
    }

    /// Unsupported parts of SentencePiece-style files are errors naming the part.
    func testUnsupportedPartsAreNamed() throws {
        let fixture = try Fixture()
        let base = try fixture.variant("llama2")
        func error(_ part: String, _ value: Any) -> TokenizerError? {
            var v = base, parts = v["parts"] as? [String: Any] ?? [:]
            parts[part] = value
            v["parts"] = parts
            do {
                _ = try HFTokenizerJSON(tokenizerJSON: try fixture.tokenizerJSON(v))
                return nil
            } catch {
                return error as? TokenizerError
            }
        }
        let replace: [String: Any] = ["type": "Replace", "pattern": ["String": "\u{2581}"], "content": " "]
        XCTAssertEqual(error("normalizer", ["type": "Replace", "pattern": ["Regex": " +"], "content": "\u{2581}"]),
                       .unsupported(part: "normalizer", "Replace without a String pattern"))
        XCTAssertEqual(error("pre_tokenizer", ["type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "sometimes", "split": false]),
                       .unsupported(part: "pre_tokenizer", "Metaspace prepend_scheme 'sometimes' (there are first, always and never)"))
        XCTAssertEqual(error("pre_tokenizer", ["type": "Sequence", "pretokenizers": [["type": "Metaspace", "replacement": "\u{2581}"], ["type": "ByteLevel"]]]),
                       .unsupported(part: "pre_tokenizer", "ByteLevel after Metaspace"))
        XCTAssertEqual(error("decoder", ["type": "Sequence", "decoders": [["type": "ByteFallback"], replace]]),
                       .unsupported(part: "decoder", "Replace after ByteFallback (Tern reads Replace, ByteFallback, Fuse, Strip in that order)"))
        XCTAssertEqual(error("decoder", ["type": "Sequence", "decoders": [replace, ["type": "Strip", "content": " ", "start": 1, "stop": 0]]]),
                       .unsupported(part: "decoder", "Strip of ' ' 1 at the start, 0 at the end without Fuse (Tern has spaces at the start of the fused text)"))
        XCTAssertEqual(error("decoder", ["type": "Sequence", "decoders": [replace, ["type": "Metaspace", "replacement": "\u{2581}"]]]),
                       .unsupported(part: "decoder", "'Metaspace' (Tern has ByteLevel, Metaspace, and Replace, ByteFallback, Fuse, Strip in a Sequence)"))
        XCTAssertEqual(error("decoder", NSNull()),
                       .unsupported(part: "decoder", "none (ByteLevel, Metaspace or a Replace/ByteFallback/Fuse/Strip Sequence is needed)"))
        XCTAssertEqual(error("normalizer", ["type": "Precompiled", "precompiled_charsmap": "AA=="]),
                       .unsupported(part: "normalizer", "'Precompiled' (Tern has NFC, NFD, NFKC, NFKD, Prepend, Replace and Sequence)"))
    }
}
