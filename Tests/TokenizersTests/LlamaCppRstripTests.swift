import Tokenizers
import XCTest

/// llama.cpp strips the whitespace after the special tokens of models named Phi-3 (all but
/// `<unk>`, `<s>` and `<|endoftext|>`); measured on a Phi-3.5-shaped GGUF with llama-server's
/// /tokenize: "<|user|>\n  Hi <|end|>\n<|assistant|> \tx</s>  y<|endoftext|> z" gives
/// <|user|> "Hi" " " <|end|> <|assistant|> "x" </s> "y" <|endoftext|> " z".
final class LlamaCppRstripTests: XCTestCase {
    func vocabulary() -> Vocabulary {
        let special = ["<unk>", "<s>", "</s>", "<|user|>", "<|end|>", "<|assistant|>", "<|endoftext|>"]
        let pieces = ["▁", "H", "i", "x", "y", "z", "▁z", "Hi", "\n", "\t"]
        let types: [Vocabulary.TokenType] = [.unknown, .control, .control, .userDefined, .control, .userDefined, .control]
            + Array(repeating: .normal, count: pieces.count)
        return Vocabulary(tokens: special + pieces, types: types, scores: (0 ..< special.count + pieces.count).map { -Float($0) },
                          bos: 1, eos: 2, unknown: 0, addBOS: false, addEOS: false, addSpacePrefix: false)
    }

    func testPhi3SpecialTokensSwallowTheWhitespaceAfterThem() {
        let v = vocabulary()
        let rstrip = v.llamaCppRstripIDs(modelName: "random-weight phi-3.5-mini shape")
        XCTAssertEqual(rstrip, [2, 3, 4, 5])  // </s>, <|user|>, <|end|>, <|assistant|>
        let tok = SentencePieceBPE(vocabulary: v, rstrip: rstrip)
        func text(_ s: String) -> [Int32] { tok.encode(s, addSpecial: false, parseSpecial: true) }
        let got = text("<|user|>\n  Hi <|end|>\n<|assistant|> \tx</s>  y<|endoftext|> z")
        XCTAssertEqual(got, [3] + text("Hi ") + [4, 5] + text("x") + [2] + text("y") + [6] + text(" z"))
        // Other models keep the whitespace.
        XCTAssertEqual(v.llamaCppRstripIDs(modelName: "Phi 3.5 Mini Instruct"), [])
        XCTAssertEqual(SentencePieceBPE(vocabulary: v).encode("<|end|>\nx", addSpecial: false, parseSpecial: true), [4] + text("\nx"))
    }
}
