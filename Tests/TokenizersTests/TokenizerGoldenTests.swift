import Foundation
import ModelFormats
import Tokenizers
import TestSupport
import XCTest

/// Token ids identical to llama.cpp's on the whole corpus, for both test models, with and
/// without special-token parsing; and decode(encode(s)) == s.
final class TokenizerGoldenTests: XCTestCase {
    static let corpus: [String] = {
        let url = TokenizerFixtures.url.appendingPathComponent("tokenizer-corpus.json")
        return (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String] ?? []
    }()

    func check(model: String, dir: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(model)
        XCTAssertGreaterThanOrEqual(Self.corpus.count, 2000)
        for (file, special) in [("tokens.json", true), ("tokens_nospecial.json", false)] {
            let golden = try TokenizerFixtures.golden("\(dir)/\(file)")
            XCTAssertEqual(golden.ids.count, Self.corpus.count)
            var mismatches: [String] = []
            for (i, s) in Self.corpus.enumerated() {
                let got = tokenizer.encode(s, addSpecial: false, parseSpecial: special)
                if got != golden.ids[i] {
                    mismatches.append("#\(i) \(s.debugDescription)\n  want \(golden.ids[i])\n  got  \(got)")
                }
            }
            XCTAssertTrue(mismatches.isEmpty, "\(dir)/\(file): \(mismatches.count) of \(Self.corpus.count) differ; first:\n"
                          + mismatches.prefix(5).joined(separator: "\n"))
            if special {
                var badRoundTrips = 0
                for (i, s) in Self.corpus.enumerated() where golden.detokDiffers[String(i)] == nil {
                    if tokenizer.decode(golden.ids[i], skipSpecial: false) != s { badRoundTrips += 1 }
                }
                XCTAssertEqual(badRoundTrips, 0, "\(dir): decode(encode(s)) != s")
            }
        }
    }

    func testSmolLM2MatchesLlamaCpp() throws { try check(model: "SmolLM2-135M-Instruct.Q4_1.gguf", dir: "smollm2") }
    func testGemma3MatchesLlamaCpp() throws { try check(model: "gemma-3-270m-q4_k_m.gguf", dir: "gemma3") }

    func testSpecialFlagsFromMetadata() throws {
        let smol = try TokenizerFixtures.tokenizer("SmolLM2-135M-Instruct.Q4_1.gguf")
        XCTAssertFalse(smol.addBOS)
        XCTAssertTrue(smol.eogTokenIDs.contains(2))  // <|im_end|>
        XCTAssertEqual(smol.encode("<|im_start|>", addSpecial: true, parseSpecial: true), [1])
        XCTAssertEqual(smol.decode([1, 28120], skipSpecial: true), smol.decode([28120], skipSpecial: true))
        let gemma = try TokenizerFixtures.tokenizer("gemma-3-270m-q4_k_m.gguf")
        XCTAssertTrue(gemma.addBOS)
        XCTAssertEqual(gemma.encode("hi", addSpecial: true, parseSpecial: true).first, gemma.bosTokenID)
        XCTAssertTrue(gemma.eogTokenIDs.contains(gemma.encode("<end_of_turn>", addSpecial: false, parseSpecial: true)[0]))
    }
}

enum TokenizerFixtures {
    static var url: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    }

    nonisolated(unsafe) static var cache: [String: any Tokenizer] = [:]

    static func tokenizer(_ model: String) throws -> any Tokenizer {
        if let t = cache[model] { return t }
        let path = try requiredModel(model)
        let t = try TokenizerFactory.load(from: GGUFFile(path: path))
        cache[model] = t
        return t
    }

    static func golden(_ relative: String) throws -> (ids: [[Int32]], detokDiffers: [String: String]) {
        let data = try Data(contentsOf: url.appendingPathComponent(relative))
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let ids = obj["ids"] as? [[Int]] else { throw CocoaError(.fileReadCorruptFile) }
        return (ids.map { $0.map { Int32($0) } }, obj["detok_differs"] as? [String: String] ?? [:])
    }
}
