import Foundation
import OpenAIAPI
import TestSupport
import XCTest

/// The whole path — HTTP, /v1/completions with token-id prompts, engine, safetensors model —
/// on the tiny Llama checkpoint at temperature 0, against the greedy continuations of the
/// float64 NumPy reference (Tests/Fixtures/tiny-llama/greedy.json): a clone without the big
/// models still runs a real request end to end and checks its tokens.
final class TinyModelEndToEndTests: XCTestCase {
    struct Reference: Decodable {
        struct Continuation: Decodable { let prompt: [Int]; let completion: [Int] }
        let sequences: [Continuation]
    }

    func testGreedyCompletionsMatchTheNumPyReference() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tiny-llama").path
        try requireFile(folder + "/model.safetensors")  // written by scripts/test
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/greedy.json")))
        let server = try TestServer(model: folder)
        defer { server.stop() }
        let maxTokens = reference.sequences[0].completion.count
        func ids(_ a: [Int]) -> JSON { .array(a.map { .int($0) }) }
        func detokenized(_ tokens: [Int]) throws -> String? {
            try server.post("/detokenize", JSON.object([("tokens", ids(tokens))]).serialized).json?["prompt"]?.stringValue
        }
        // Every prompt in one request (batched), then each alone and streamed.
        let all = JSON.object([("prompt", .array(reference.sequences.map { ids($0.prompt) })), ("max_tokens", .int(maxTokens)),
                               ("temperature", .int(0)), ("ignore_eos", .bool(true))])
        let batched = try server.post("/v1/completions", all.serialized)
        XCTAssertEqual(batched.status, 200, batched.body)
        guard case .array(let choices)? = batched.json?["choices"] else { return XCTFail("no choices: \(batched.body)") }
        XCTAssertEqual(choices.count, reference.sequences.count)
        XCTAssertEqual(batched.json?["usage"]?["completion_tokens"], .int(maxTokens * reference.sequences.count))
        for (i, s) in reference.sequences.enumerated() {
            let expected = try XCTUnwrap(try detokenized(s.completion))
            XCTAssertEqual(choices.first { $0["index"] == .int(i) }?["text"]?.stringValue, expected, "prompt \(i) batched")
            let one = JSON.object([("prompt", ids(s.prompt)), ("max_tokens", .int(maxTokens)), ("temperature", .int(0)),
                                   ("ignore_eos", .bool(true)), ("stream", .bool(true))])
            let stream = try server.post("/v1/completions", one.serialized)
            let text = try stream.events.filter { $0 != "[DONE]" }.compactMap {
                try JSONParser.parse(Array($0.utf8))["choices"].flatMap { if case .array(let a) = $0 { return a.first?["text"]?.stringValue } else { return nil } }
            }.joined()
            XCTAssertEqual(text, expected, "prompt \(i) alone, streamed")
        }
        XCTAssertEqual(try server.waitIdle()["tern:kv_cache_used_blocks"], 0)
    }
}
