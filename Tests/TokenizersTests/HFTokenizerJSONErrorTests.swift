import Foundation
import Tokenizers
import XCTest

/// Malformed or unsupported tokenizer.json files are typed errors naming the problem.
final class HFTokenizerJSONErrorTests: XCTestCase {
    /// A small valid tokenizer.json: bytes of "ab c" and two merges.
    static var valid: [String: Any] { [
        "version": "1.0",
        "added_tokens": [["id": 6, "content": "<|eot|>", "special": true, "normalized": false]],
        "normalizer": NSNull(),
        "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
        "post_processor": NSNull(),
        "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
        "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "byte_fallback": false, "ignore_merges": false,
                  "vocab": ["a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "Ġc": 5],
                  "merges": [["a", "b"], "Ġ c"]],
    ] }

    func load(_ edit: (inout [String: Any]) -> Void, config: [String: Any]? = nil) throws -> HFTokenizerJSON {
        var json = Self.valid
        edit(&json)
        return try HFTokenizerJSON(tokenizerJSON: try JSONSerialization.data(withJSONObject: json),
                                   tokenizerConfig: try config.map { try JSONSerialization.data(withJSONObject: $0) })
    }

    func error(_ edit: (inout [String: Any]) -> Void, config: [String: Any]? = nil) -> TokenizerError? {
        do {
            _ = try load(edit, config: config)
            return nil
        } catch {
            return error as? TokenizerError
        }
    }

    func model(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
        { json in
            var m = json["model"] as? [String: Any] ?? [:]
            m[key] = value
            json["model"] = m
        }
    }

    func testValidFileEncodes() throws {
        let tok = try load { _ in }.tokenizer
        XCTAssertEqual(tok.encode("ab c<|eot|>", addSpecial: false, parseSpecial: true), [4, 5, 6])
        XCTAssertEqual(tok.decode([4, 5, 6], skipSpecial: true), "ab c")
    }

    func testMissingOrUnknownModel() {
        XCTAssertEqual(error { $0["model"] = nil }, .missing("tokenizer.json.model"))
        XCTAssertEqual(error(model("type", "WordPiece")), .unsupported(part: "model", "'WordPiece' (Tern reads BPE)"))
        XCTAssertEqual(error(model("type", "Unigram")), .unsupported(part: "model", "'Unigram' (Tern reads BPE)"))
        XCTAssertEqual(error(model("vocab", NSNull())), .missing("tokenizer.json.model.vocab"))
        XCTAssertEqual(error(model("vocab", ["a": -1])), .malformed("tokenizer.json.model.vocab[\"a\"] = -1 is not a token id"))
        XCTAssertEqual(error(model("vocab", ["a": 0, "b": 0])).map { "\($0)".contains("share id 0") }, true)
        XCTAssertEqual(error(model("dropout", 0.1)), .unsupported(part: "model", "BPE dropout"))
        XCTAssertEqual(error(model("unk_token", "<unk>")), .malformed("model.unk_token '<unk>' is not in the vocabulary"))
        XCTAssertEqual(error { $0 = [:] }, .missing("tokenizer.json.model"))
        XCTAssertEqual(try? HFTokenizerJSON(tokenizerJSON: Data("{\"model\": ".utf8)).tokenizer.vocabularySize, nil)
    }

    func testBadMerges() {
        XCTAssertEqual(error(model("merges", ["ab"])), .malformed("tokenizer.json.model.merges[0] 'ab' is not two tokens with a space between"))
        XCTAssertEqual(error(model("merges", ["a b c"])), .malformed("tokenizer.json.model.merges[0] 'a b c' is not two tokens with a space between"))
        XCTAssertEqual(error(model("merges", [["a", "b"], [1, 2]])), .malformed("tokenizer.json.model.merges[1] is neither \"left right\" nor [left, right]"))
        XCTAssertEqual(error(model("merges", [["a"]])), .malformed("tokenizer.json.model.merges[0] is neither \"left right\" nor [left, right]"))
        XCTAssertEqual(error(model("merges", [["b", "c"]])), .malformed("tokenizer.json.model.merges[0] 'b c': 'bc' is not in the vocabulary"))
        XCTAssertEqual(error(model("merges", "a b")), .malformed("tokenizer.json.model.merges is not an array"))
    }

    func testUnsupportedComponents() {
        XCTAssertEqual(error { $0["pre_tokenizer"] = ["type": "Whitespace"] },
                       .unsupported(part: "pre_tokenizer", "'Whitespace' (Tern has ByteLevel, Metaspace, Split and Sequence)"))
        XCTAssertEqual(error { $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
            ["type": "Split", "pattern": ["Regex": "\\d+"], "behavior": "Isolated", "invert": false], ["type": "ByteLevel"]]] },
                       .unsupported(part: "pre_tokenizer", "Split pattern \\d+ (Tern knows GPT-2's, Llama 3's and Qwen2's)"))
        XCTAssertEqual(error { $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
            ["type": "Split", "pattern": ["Regex": PreTokenizer.qwen2.pattern ?? ""], "behavior": "Removed", "invert": false], ["type": "ByteLevel"]]] },
                       .unsupported(part: "pre_tokenizer", "Split behavior Removed"))
        XCTAssertEqual(error { $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [["type": "ByteLevel"], ["type": "Digits"]]] },
                       .unsupported(part: "pre_tokenizer", "steps after ByteLevel"))
        XCTAssertEqual(error { $0["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFC"], ["type": "Lowercase"]]] },
                       .unsupported(part: "normalizer", "'Lowercase' (Tern has NFC, NFD, NFKC, NFKD, Prepend, Replace and Sequence)"))
        XCTAssertEqual(error { $0["decoder"] = ["type": "WordPiece"] },
                       .unsupported(part: "decoder", "'WordPiece' (Tern has ByteLevel, Metaspace, and Replace, ByteFallback, Fuse, Strip in a Sequence)"))
        XCTAssertEqual(error { $0["post_processor"] = ["type": "BertProcessing"] },
                       .unsupported(part: "post_processor", "'BertProcessing' (Tern has ByteLevel, TemplateProcessing and Sequence)"))
    }

    func testBadAddedTokensAndConfig() {
        XCTAssertEqual(error { $0["added_tokens"] = [["id": 4, "content": "<x>", "special": true]] },
                       .malformed("tokenizer.json.added_tokens[0] '<x>' has the id of 'ab'"))
        XCTAssertEqual(error { $0["added_tokens"] = [["content": "<x>"]] }, .missing("tokenizer.json.added_tokens[0].id"))
        XCTAssertEqual(error({ _ in }, config: ["bos_token": "<s>"]), .malformed("tokenizer_config.json bos_token '<s>' is not in the vocabulary"))
        XCTAssertEqual(error({ _ in }, config: ["add_bos_token": "yes"]), .malformed("tokenizer_config.json.add_bos_token is not a boolean"))
    }

    func testTemplatePostProcessorAddsBOS() throws {
        let hf = try load { $0["post_processor"] = ["type": "TemplateProcessing",
                                                   "single": [["SpecialToken": ["id": "<|eot|>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
                                                   "special_tokens": ["<|eot|>": ["id": "<|eot|>", "ids": [6], "tokens": ["<|eot|>"]]]] }
        XCTAssertTrue(hf.tokenizer.addBOS)
        XCTAssertEqual(hf.tokenizer.encode("ab", addSpecial: true, parseSpecial: true), [6, 4])
        let off = try load({ _ in }, config: ["bos_token": ["content": "<|eot|>"], "add_bos_token": true, "chat_template": [["name": "tool_use", "template": "T"], ["name": "default", "template": "D"]]])
        XCTAssertEqual(off.tokenizer.encode("ab", addSpecial: true, parseSpecial: true), [6, 4])
        XCTAssertEqual(off.chatTemplate, "D")
    }
}
