import Foundation
import JSON
@testable import OpenAIAPI
import XCTest

/// `POST /v1/embeddings`: the body's input shapes, encodings and `dimensions` (without a
/// model), then the route against the real SmolLM2: vectors, usage, base64 equal to floats,
/// a batch equal to its inputs one by one, 400s in OpenAI's shape, no block left behind.
final class EmbeddingsTests: XCTestCase {
    private func parse(_ body: String, width: Int = 4, truncatable: Bool = false, maxTokens: Int = 10) throws -> EmbeddingsRequest {
        // Text: one token per character (its scalar value mod 50).
        try EmbeddingsRequest(RequestFields(Array(body.utf8)), encode: { $0.unicodeScalars.map { Int32($0.value % 50) } },
                              vocabularySize: 50, maxTokens: maxTokens, width: width, truncatable: truncatable)
    }

    private func status400(_ body: String, width: Int = 4, truncatable: Bool = false, mentions: String,
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(body, width: width, truncatable: truncatable), file: file, line: line) { e in
            let e = e as? APIError
            XCTAssertEqual(e?.status, 400, file: file, line: line)
            XCTAssertTrue(e?.message.contains(mentions) == true, "\(e?.message ?? "") should mention \(mentions)", file: file, line: line)
        }
    }

    func testInputShapes() throws {
        XCTAssertEqual(try parse(#"{"input":"ab"}"#).inputs, [[47, 48]])
        XCTAssertEqual(try parse(#"{"input":["ab","c"],"user":"u","model":"m"}"#).inputs, [[47, 48], [49]])
        XCTAssertEqual(try parse(#"{"input":[1,2,3]}"#).inputs, [[1, 2, 3]])
        XCTAssertEqual(try parse(#"{"input":[[1,2],[3]]}"#).inputs, [[1, 2], [3]])
        status400(#"{}"#, mentions: "'input' is required")
        status400(#"{"input":[]}"#, mentions: "empty array")
        status400(#"{"input":""}"#, mentions: "no tokens")
        status400(#"{"input":[[1],[]]}"#, mentions: "input 1 has no tokens")
        status400(#"{"input":[1,50]}"#, mentions: "0...49")
        status400(#"{"input":["a",1]}"#, mentions: "must be a string")
        status400(#"{"input":{"a":1}}"#, mentions: "must be a string")
        status400(#"{"input":"0123456789a"}"#, mentions: "maximum context length is 10")
        status400(#"{"input":"a","user":3}"#, mentions: "'user' must be a string")
        status400(#"{"input":"a","encoding_format":"int8"}"#, mentions: "'float' or 'base64'")
    }

    func testEncodingsAndDimensions() throws {
        let v: [Float] = [0.5, -0.5, 0.5, 0.5]
        XCTAssertEqual(try parse(#"{"input":"a"}"#).encoded(v), .array(v.map { .float($0) }))
        // base64 of little-endian float32 bytes: 0.5 = 00 00 00 3f, -0.5 = 00 00 00 bf.
        let b64 = try parse(#"{"input":"a","encoding_format":"base64"}"#).encoded(v)
        XCTAssertEqual(b64, .string(Data([0, 0, 0, 0x3f, 0, 0, 0, 0xbf, 0, 0, 0, 0x3f, 0, 0, 0, 0x3f]).base64EncodedString()))
        XCTAssertEqual(try parse(#"{"input":"a","dimensions":4}"#).encoded(v), .array(v.map { .float($0) }), "the full width is allowed")
        status400(#"{"input":"a","dimensions":2}"#, mentions: "not trained to be truncated")
        status400(#"{"input":"a","dimensions":0}"#, mentions: "'dimensions' must be between")
        status400(#"{"input":"a","dimensions":5}"#, truncatable: true, mentions: "at most 4")
        let cut = try parse(#"{"input":"a","dimensions":2}"#, truncatable: true).encoded(v)
        let half = Float(0.5.squareRoot())
        XCTAssertEqual(cut, .array([.float(half), .float(-half)]), "truncated, then renormalized")
    }

    private func vectors(_ r: TestServer.Response) throws -> [[Float]] {
        let data = try XCTUnwrap(r.json?["data"]?.arrayValue, r.body)
        return try data.enumerated().map { i, item in
            XCTAssertEqual(item["object"], "embedding")
            XCTAssertEqual(item["index"]?.intValue, i)
            if let s = item["embedding"]?.stringValue {
                let data = try XCTUnwrap(Data(base64Encoded: s))
                let bytes = [UInt8](data)
                return stride(from: 0, to: bytes.count, by: 4).map { (o: Int) -> Float in
                    var bits: UInt32 = 0
                    for k in 0 ..< 4 { bits |= UInt32(bytes[o + k]) << (8 * UInt32(k)) }
                    return Float(bitPattern: bits)
                }
            }
            return try XCTUnwrap(item["embedding"]?.arrayValue).map { Float(try XCTUnwrap($0.doubleValue)) }
        }
    }

    func testRouteOnSmolLM2() throws {
        let server = try TestServer()
        defer { server.stop() }
        let texts = ["The cat sat on the mat.", "A dog barked at the mailman.", "Quantum chromodynamics"]
        let many = try server.post("/v1/embeddings", #"{"model":"smollm2","input":["\#(texts.joined(separator: #"",""#))"]}"#)
        XCTAssertEqual(many.status, 200, many.body)
        XCTAssertEqual(many.json?["object"], "list")
        XCTAssertEqual(many.json?["model"], "smollm2")
        let batched = try vectors(many)
        XCTAssertEqual(batched.count, 3)
        var tokens = 0
        for (i, text) in texts.enumerated() {
            let one = try server.post("/v1/embeddings", #"{"input":"\#(text)","encoding_format":"base64"}"#)
            XCTAssertEqual(one.status, 200, one.body)
            let v = try vectors(one)[0]
            XCTAssertEqual(v.count, 576)
            XCTAssertEqual(v, batched[i], "input \(i) alone (base64) equals its vector in the batch (floats)")
            tokens += one.json?["usage"]?["prompt_tokens"]?.intValue ?? 0
        }
        XCTAssertEqual(many.json?["usage"]?["prompt_tokens"]?.intValue, tokens)
        XCTAssertEqual(many.json?["usage"]?["total_tokens"]?.intValue, tokens)
        let ids = try server.post("/tokenize", #"{"prompt":"\#(texts[0])"}"#).json?["tokens"]
        let byIDs = try server.post("/v1/embeddings", #"{"input":[\#(try XCTUnwrap(ids).serialized)]}"#)
        XCTAssertEqual(try vectors(byIDs)[0], batched[0], "token ids embed as their text does")

        for (body, mentions) in [(#"{"input":[]}"#, "empty"), (#"{"input":"x","dimensions":8}"#, "dimensions"),
                                 (#"{"input":[99999999]}"#, "'input'"), ("{\"input\":\"" + String(repeating: "word ", count: 2100) + "\"}", "context length"),
                                 (#"{"input":"x","encoding_format":"hex"}"#, "base64"), ("not json", "JSON")] {
            let r = try server.post("/v1/embeddings", body)
            XCTAssertEqual(r.status, 400, body)
            XCTAssertNotNil(r.json?["error"]?["message"]?.stringValue, r.body)
            XCTAssertEqual(r.json?["error"]?["type"], "invalid_request_error")
            XCTAssertTrue(r.body.contains(mentions), r.body)
        }
        XCTAssertEqual(try server.post("/v1/embeddings", #"{"input":"x","model":"other"}"#).status, 404)
        XCTAssertEqual(try server.post("/v1/embeddings", #"{"input":"still serving"}"#).status, 200)
        let idle = try server.waitIdle()
        XCTAssertEqual(idle["tern:kv_cache_used_blocks"], 0, "embedding requests keep no blocks")
    }
}
