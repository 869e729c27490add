import Tokenizers
import XCTest

final class PreTokenizerTests: XCTestCase {
    func testGPT2Splits() {
        XCTAssertEqual(PreTokenizer.gpt2.split("Hello world's  end!!"), ["Hello", " world", "'s", " ", " end", "!!"])
        XCTAssertEqual(PreTokenizer.gpt2.split("a   b  "), ["a", "  ", " b", "  "])
        XCTAssertEqual(PreTokenizer.gpt2.split(" 123abc"), [" 123", "abc"])
    }

    func testSmolLMSplitsDigitsOneByOne() {
        XCTAssertEqual(PreTokenizer.smollm.split("x 2024!"), ["x", " ", "2", "0", "2", "4", "!"])
    }

    func testLlama3Splits() {
        XCTAssertEqual(PreTokenizer.llama3.split("I'M 12345 ok\n\n  x"), ["I", "'M", " ", "123", "45", " ok", "\n\n", " ", " x"])
        XCTAssertEqual(PreTokenizer.qwen2.split("ab 12"), ["ab", " ", "1", "2"])
    }

    func testTokenizerJSONPatternsMapToScanners() {
        for p in [PreTokenizer.gpt2, .llama3, .qwen2] { XCTAssertEqual(p.pattern.flatMap(PreTokenizer.init(regex:)), p) }
        XCTAssertNil(PreTokenizer(regex: #"\p{N}+"#))
        XCTAssertNil(PreTokenizer.smollm.pattern)
    }

    func testNamesMapToScanners() {
        XCTAssertEqual(PreTokenizer.named("smollm"), .smollm)
        XCTAssertEqual(PreTokenizer.named("llama-bpe"), .llama3)
        XCTAssertEqual(PreTokenizer.named("qwen2"), .qwen2)
        XCTAssertEqual(PreTokenizer.named(nil), .gpt2)
    }
}
