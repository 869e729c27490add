import Foundation
import JSON
import TestSupport
import XCTest

/// `tern serve` on Gemma 3 (sliding-window layers in their own block tables): a prompt past the
/// window gives the same text from a cold cache, from a prefix-cache hit and as both of n = 2,
/// and the blocks in use (`tern:kv_cache_used_blocks`) return to 0.
final class SlidingWindowServerTests: XCTestCase {
    func testLongPromptsReturnEveryBlock() throws {
        let server = try TestServer(model: try requiredModel("gemma-3-270m-q4_k_m.gguf"), numBlocks: 900)
        defer { server.stop() }
        let words = (0 ..< 600).map { "word\($0 % 37)" }.joined(separator: " ")
        func texts(_ n: Int) throws -> [String] {
            let r = try server.post("/v1/completions", #"{"prompt":"\#(words)","max_tokens":12,"temperature":0,"ignore_eos":true,"n":\#(n)}"#)
            XCTAssertEqual(r.status, 200, r.body)
            guard case .array(let choices)? = r.json?["choices"] else { XCTFail("no choices: \(r.body)"); return [] }
            return choices.compactMap { $0["text"]?.stringValue }
        }
        let cold = try texts(1)
        XCTAssertEqual(cold.count, 1)
        XCTAssertEqual(try texts(1), cold, "from the prefix cache")
        XCTAssertEqual(try texts(2), cold + cold, "as both of n = 2")
        let m = try server.waitIdle()
        XCTAssertGreaterThan(m["vllm:prefix_cache_hits_total"] ?? 0, 512, "hits past the window")
        XCTAssertEqual(m["tern:kv_cache_used_blocks"], 0)
    }
}
