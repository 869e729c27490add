import Foundation
import Tokenizers
import XCTest

final class IncrementalDetokenizerTests: XCTestCase {
    /// Deltas concatenate to the full decode, and every delta is whole UTF-8 (String can only
    /// hold valid text, so the check is that no delta contains U+FFFD the input did not have).
    func testDeltasAreWholeCharactersAndConcatenateToDecode() throws {
        for model in ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"] {
            let tok = try TokenizerFixtures.tokenizer(model)
            for s in TokenizerGoldenTests.corpus.prefix(600) {
                let ids = tok.encode(s, addSpecial: false, parseSpecial: false)
                var detok = IncrementalDetokenizer(tokenizer: tok)
                var text = ""
                for id in ids {
                    let delta = detok.push(id)
                    XCTAssertFalse(delta.contains("\u{FFFD}") && !s.contains("\u{FFFD}"), "partial character in delta for \(s.debugDescription)")
                    text += delta
                }
                text += detok.finish()
                XCTAssertEqual(text, tok.decode(ids, skipSpecial: true))
            }
        }
    }

    /// An emoji that the byte-level vocabulary spells in several tokens is held back until
    /// its last byte arrives.
    func testHoldsBackPartialCharacter() throws {
        let tok = try TokenizerFixtures.tokenizer("SmolLM2-135M-Instruct.Q4_1.gguf")
        let ids = tok.encode("🤖", addSpecial: false, parseSpecial: false)
        XCTAssertGreaterThan(ids.count, 1)
        var detok = IncrementalDetokenizer(tokenizer: tok)
        let deltas = ids.map { detok.push($0) }
        XCTAssertEqual(deltas.dropLast().joined(), "")
        XCTAssertEqual(deltas.last, "🤖")
    }

    func testInvalidBytesBecomeReplacementCharacters() throws {
        let tok = try TokenizerFixtures.tokenizer("gemma-3-270m-q4_k_m.gguf")
        // Gemma 3's SentencePiece vocabulary has byte tokens <0x00>…<0xFF>; 0xFF alone is never valid UTF-8.
        let lone = try XCTUnwrap((0 ..< tok.vocabularySize).lazy.map(Int32.init).first { tok.tokenBytes($0) == [0xFF] }, "no byte token 0xFF")
        var detok = IncrementalDetokenizer(tokenizer: tok)
        XCTAssertEqual(detok.push(lone), "\u{FFFD}")
    }
}
