import Foundation
import OpenAIAPI
import TestSupport
import XCTest

/// The whole front end against the real SmolLM2: streaming equals non-streaming, stop
/// strings never leak, broken requests get 4xx while the server keeps serving,
/// disconnects free every block, keys and the waiting bound are enforced.
final class ServerEndToEndTests: XCTestCase {
    /// Concatenated text of a completions or chat stream, and the chunks' texts.
    private func streamed(_ r: TestServer.Response, chat: Bool) throws -> (text: String, pieces: [String], finish: String?) {
        var pieces: [String] = [], finish: String?
        for e in r.events where e != "[DONE]" {
            let j = try JSONParser.parse(Array(e.utf8))
            guard case .array(let choices)? = j["choices"] else { continue }
            for c in choices {
                let piece = chat ? c["delta"]?["content"]?.stringValue : c["text"]?.stringValue
                if let piece { pieces.append(piece) }
                if let f = c["finish_reason"]?.stringValue { finish = f }
            }
        }
        return (pieces.joined(), pieces, finish)
    }

    func testStreamingEqualsNonStreamingAndStopsNeverLeak() throws {
        let server = try TestServer()
        defer { server.stop() }
        for seeded in [#""temperature":0"#, #""temperature":0.9,"seed":7"#] {
            let body = #"{"prompt":"Once upon a time","max_tokens":40,\#(seeded)"#
            let whole = try server.post("/v1/completions", body + "}")
            XCTAssertEqual(whole.status, 200, whole.body)
            let text = try XCTUnwrap(whole.json?["choices"].flatMap { if case .array(let a) = $0 { return a.first } else { return nil } }?["text"]?.stringValue)
            let stream = try server.post("/v1/completions", body + #","stream":true}"#)
            XCTAssertEqual(stream.events.last, "[DONE]")
            XCTAssertEqual(try streamed(stream, chat: false).text, text)

            let chatBody = #"{"messages":[{"role":"user","content":"Write a sentence about the sea."}],"max_tokens":30,\#(seeded)"#
            let chat = try server.post("/v1/chat/completions", chatBody + "}")
            _ = try XCTUnwrap(chat.json, "no JSON body: " + chat.head + chat.body)
            let content = try XCTUnwrap(chat.json?["choices"].flatMap { if case .array(let a) = $0 { return a.first } else { return nil } }?["message"]?["content"]?.stringValue)
            let chatStream = try server.post("/v1/chat/completions", chatBody + #","stream":true}"#)
            XCTAssertEqual(try streamed(chatStream, chat: true).text, content)
        }

        // A stop string made of the end of one token and the start of the next.
        let probe = try server.post("/v1/completions", #"{"prompt":"Once upon a time","max_tokens":40,"temperature":0,"logprobs":0}"#)
        guard case .array(let choices)? = probe.json?["choices"], case .array(let tokens)? = choices.first?["logprobs"]?["tokens"] else {
            return XCTFail("no logprobs: \(probe.body)")
        }
        let texts = tokens.compactMap(\.stringValue)
        guard let k = (4 ..< texts.count - 1).first(where: { texts[$0].count >= 3 && texts[$0 + 1].count >= 3 }) else { return XCTFail("no long tokens") }
        let stop = String(texts[k].suffix(2)) + String(texts[k + 1].prefix(2))
        let full = texts.joined()
        let expected = String(full[..<full.range(of: stop)!.lowerBound])
        let body = #"{"prompt":"Once upon a time","max_tokens":40,"temperature":0,"stop":[\#(JSON.string(stop).serialized)]"#
        let stopped = try streamed(try server.post("/v1/completions", body + #","stream":true}"#), chat: false)
        XCTAssertEqual(stopped.text, expected)
        XCTAssertEqual(stopped.finish, "stop")
        for p in stopped.pieces { XCTAssertFalse(p.contains(stop), "chunk \(p.debugDescription) leaks the stop \(stop.debugDescription)") }
        let stoppedWhole = try server.post("/v1/completions", body + "}")
        XCTAssertEqual(stoppedWhole.json?["choices"].flatMap { if case .array(let a) = $0 { return a.first?["text"]?.stringValue } else { return nil } }, expected)
        XCTAssertEqual(try server.waitIdle()["tern:kv_cache_used_blocks"], 0)
    }

    /// Every response object and stream chunk carries OpenAI's `system_fingerprint`: the
    /// kernel family, the KV dtype and the model's digest, the same for every answer of a server.
    func testSystemFingerprintInEveryResponseAndChunk() throws {
        let server = try TestServer()
        defer { server.stop() }
        var seen: Set<String> = []
        for (path, body) in [("/v1/completions", #"{"prompt":"Once upon a time","max_tokens":5"#),
                             ("/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":5"#)] {
            let whole = try server.post(path, body + "}")
            seen.insert(try XCTUnwrap(whole.json?["system_fingerprint"]?.stringValue, whole.body))
            let stream = try server.post(path, body + #","stream":true,"stream_options":{"include_usage":true}}"#)
            let chunks = stream.events.filter { $0 != "[DONE]" }
            XCTAssertGreaterThan(chunks.count, 2)
            for e in chunks { seen.insert(try XCTUnwrap(try JSONParser.parse(Array(e.utf8))["system_fingerprint"]?.stringValue, e)) }
        }
        XCTAssertEqual(seen.count, 1, "one fingerprint per server: \(seen)")
        let fingerprint = try XCTUnwrap(seen.first)
        let family = ["avx512-vnni", "avx2", "portable"].first { fingerprint.hasPrefix("tern-\($0)-") }
        XCTAssertNotNil(family, fingerprint)
        XCTAssertTrue(fingerprint.suffix(12).allSatisfy(\.isHexDigit), "ends with the model digest: \(fingerprint)")
        XCTAssertTrue(fingerprint.contains("-f32-"), "the test server's KV cache is f32: \(fingerprint)")
    }

    func testBrokenRequestsGet4xxAndTheServerKeepsServing() throws {
        let server = try TestServer()
        defer { server.stop() }
        var raw: [String] = [
            "GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET / HTTX/1.1\r\n\r\n", "GET /v1/models HTTP/1.1\r\nbad header\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\nX: " + String(repeating: "x", count: 20000) + "\r\n\r\n",
            "POST /v1/completions HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
            "POST /v1/completions HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            "POST /v1/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
            "POST /v1/completions HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n",
            "POST /v1/completions HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
            "GET /v1/models HTTP/1.1\r\n" + (0 ..< 150).map { "H\($0): v\r\n" }.joined() + "\r\n",
        ]
        for i in 0 ..< 40 { raw.append("GET /\(String(repeating: "a", count: i)) HTTP/1.1\r\nX-\(i): \u{7}\r\n\r\n") }
        for i in 0 ..< 30 { raw.append("\(["PUT", "DELETE", "PATCH"][i % 3]) /v1/completions HTTP/1.1\r\nContent-Length: 0\r\n\r\n") }
        var bodies: [String] = [
            "", "{", "[]", "null", "\"x\"", #"{"prompt":1.5}"#, #"{"prompt":[]}"#, #"{"prompt":[[]]}"#, #"{"prompt":[1,"a"]}"#,
            #"{"prompt":[-1]}"#, #"{"prompt":[99999999]}"#, #"{"prompt":{"a":1}}"#, #"{"max_tokens":3}"#,
            #"{"prompt":"x","max_tokens":0}"#, #"{"prompt":"x","max_tokens":-5}"#, #"{"prompt":"x","max_tokens":1.5}"#,
            #"{"prompt":"x","max_tokens":"10"}"#, #"{"prompt":"x","max_tokens":100000}"#, #"{"prompt":"x","temperature":-1}"#,
            #"{"prompt":"x","temperature":"hot"}"#, #"{"prompt":"x","top_p":0}"#, #"{"prompt":"x","top_p":1.5}"#,
            #"{"prompt":"x","n":0}"#, #"{"prompt":"x","n":100}"#, #"{"prompt":"x","stop":5}"#, #"{"prompt":"x","stop":[""]}"#,
            #"{"prompt":"x","logprobs":9}"#, #"{"prompt":"x","logit_bias":{"abc":1}}"#, #"{"prompt":"x","logit_bias":{"5":500}}"#,
            #"{"prompt":"x","stream":"yes"}"#, #"{"prompt":"x","seed":"s"}"#, #"{"prompt":"x","presence_penalty":3}"#,
            #"{"prompt":"x","frequency_penalty":-3}"#, #"{"prompt":"x","model":"gpt-4"}"#, #"{"prompt":"x","echo":1}"#,
            #"{"prompt":"x","stream_options":5}"#, #"{"prompt":"x","response_format":{"type":"xml"}}"#,
            #"{"prompt":"x","response_format":{"type":"json_schema","json_schema":{"schema":{"not":{"type":"string"}}}}}"#,
            #"{"prompt":"x","response_format":{"type":"json_schema","json_schema":{"schema":{"type":"strnig"}}}}"#,
            #"{"prompt":"x","grammar":"root ::= missing"}"#, #"{"prompt":"x","structured_outputs":{"regex":"("}}"#,
            #"{"prompt":"x","structured_outputs":{"choice":[]}}"#, #"{"prompt":"x","structured_outputs":{"regex":"a","choice":["b"]}}"#,
            #"{"prompt":"x","grammar":"root ::= \"a\"","json_schema":{"type":"string"}}"#, #"{"prompt":"x","json_schema":7}"#,
            #"{"prompt":"x","min_p":2}"#, #"{"prompt":"x","top_k":-7}"#, #"{"prompt":"x","repetition_penalty":0}"#,
            #"{"prompt":"x","stop_token_ids":[-1]}"#, "{\"prompt\":\"\\ud800\"}", "{\"prompt\":\"a\u{1}b\"}",
            #"{"prompt":"x",}"#, #"{"prompt":"x" "y"}"#, String(repeating: "[", count: 500),
            // Accepted by OpenAI or vLLM but not served: a 400 naming the field, never silently ignored.
            #"{"prompt":"x","best_of":3}"#, #"{"prompt":"x","n":2,"best_of":1}"#, #"{"prompt":"x","best_of":"2"}"#,
            #"{"prompt":"x","suffix":"end"}"#, #"{"prompt":"x","suffix":5}"#, #"{"prompt":"x","tools":5}"#,
            #"{"prompt":"x","tools":{"a":1}}"#, #"{"prompt":"x","tools":[{"type":"function"}]}"#, #"{"prompt":"x","tool_choice":7}"#,
            #"{"prompt":"x","tool_choice":"required"}"#, #"{"prompt":"x","tool_choice":{"type":"function"}}"#,
        ]
        let chatBodies: [String] = [
            #"{}"#, #"{"messages":[]}"#, #"{"messages":"hi"}"#, #"{"messages":[1]}"#, #"{"messages":[{"content":"x"}]}"#,
            #"{"messages":[{"role":"wizard","content":"x"}]}"#, #"{"messages":[{"role":"user","content":5}]}"#,
            #"{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}"#, #"{"messages":[{"role":"user"}]}"#,
            #"{"messages":[{"role":"user","content":"x"}],"logprobs":"yes"}"#,
            #"{"messages":[{"role":"user","content":"x"}],"top_logprobs":3}"#,
            #"{"messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":50}"#,
            #"{"messages":[{"role":"user","content":"x"}],"max_completion_tokens":0}"#,
            #"{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]}"#,
        ]
        // Every numeric field with values of the wrong type or out of range.
        for field in ["max_tokens", "temperature", "top_p", "n", "seed", "presence_penalty", "frequency_penalty", "logprobs",
                      "top_k", "min_p", "repetition_penalty"] {
            for bad in [#""1""#, "true", "[1]", #"{"v":1}"#, "1e300"] where !(field == "seed" && bad == "1e300") {
                bodies.append(#"{"prompt":"x","\#(field)":\#(bad)}"#)
            }
        }
        for field in ["echo", "stream", "ignore_eos"] { bodies.append(#"{"prompt":"x","\#(field)":"true"}"#) }
        for i in 0 ..< 20 { bodies.append(#"{"prompt":"x","max_tokens":\#(i % 2 == 0 ? "-\(i + 1)" : "\"\(i)\"")}"#) }
        var count = 0
        func expect4xx(_ r: TestServer.Response, _ what: String) {
            count += 1
            XCTAssertTrue((400 ..< 500).contains(r.status), "\(what.prefix(120).debugDescription) → \(r.status) \(r.body.prefix(200))")
            XCTAssertTrue(r.body.isEmpty || r.body.contains("\"error\""), "not an OpenAI error: \(r.body.prefix(200))")
        }
        for text in raw {
            let c = try RawClient(port: server.port)
            c.send(text)
            expect4xx(TestServer.parseResponse(c.read { $0.contains("\r\n\r\n") && $0.contains("}") }), text)
            c.close()
        }
        for b in bodies { expect4xx(try server.post("/v1/completions", b), b) }
        for (b, field) in [(#"{"prompt":"x","best_of":3}"#, "best_of"), (#"{"prompt":"x","suffix":"end"}"#, "suffix"),
                           (#"{"prompt":"x","tools":5}"#, "tools"), (#"{"prompt":"x","tool_choice":7}"#, "tool_choice")] {
            XCTAssertEqual(try server.post("/v1/completions", b).json?["error"]?["param"]?.stringValue, field, b)
        }
        // What OpenAI's SDKs send by default stays accepted.
        for b in [#"{"prompt":"x","max_tokens":1,"best_of":1}"#, #"{"prompt":"x","max_tokens":1,"n":2,"best_of":2}"#,
                  #"{"prompt":"x","max_tokens":1,"suffix":null,"tools":[],"tool_choice":"none"}"#] {
            XCTAssertEqual(try server.post("/v1/completions", b).status, 200, b)
        }
        for b in chatBodies { expect4xx(try server.post("/v1/chat/completions", b), b) }
        for b in ["{}", #"{"tokens":"x"}"#, #"{"tokens":[-4]}"#] { expect4xx(try server.post("/detokenize", b), b) }
        for b in ["{}", #"{"prompt":7}"#] { expect4xx(try server.post("/tokenize", b), b) }
        // Invalid UTF-8 in a body, and a lying Content-Length (shorter than what follows).
        let c = try RawClient(port: server.port)
        c.send(Array("POST /v1/completions HTTP/1.1\r\nContent-Length: 14\r\n\r\n{\"prompt\":\"".utf8) + [0xC3, 0x28, 0x22, 0x7D])
        expect4xx(TestServer.parseResponse(c.read { $0.contains("}") }), "invalid UTF-8")
        c.close()
        let lie = try RawClient(port: server.port)
        lie.send("POST /v1/completions HTTP/1.1\r\nContent-Length: 3\r\n\r\n{\"prompt\":\"hi\"}")
        expect4xx(TestServer.parseResponse(lie.read { $0.contains("}") }), "short Content-Length")
        lie.close()
        XCTAssertGreaterThanOrEqual(count, 200)

        let ok = try server.post("/v1/completions", #"{"prompt":"Hello","max_tokens":4,"temperature":0}"#)
        XCTAssertEqual(ok.status, 200, ok.body)
        let m = try server.waitIdle()
        XCTAssertEqual(m["tern:kv_cache_used_blocks"], 0)
    }

    func testClientsThatLeaveHaveTheirRequestsAbortedAndBlocksFreed() throws {
        // One sequence at a time and a small token budget: a long prompt takes many steps.
        let server = try TestServer(maxNumSeqs: 1, maxNumBatchedTokens: 32, numBlocks: 200)
        defer { server.stop() }
        let decoding = try RawClient(port: server.port)
        let longBody = #"{"prompt":"Tell me everything.","max_tokens":1500,"ignore_eos":true,"temperature":0,"stream":true}"#
        decoding.send("POST /v1/completions HTTP/1.1\r\nContent-Length: \(longBody.utf8.count)\r\n\r\n" + longBody)
        _ = decoding.read { $0.contains("\"text\"") }  // decoding now
        // Queued behind it (maxNumSeqs 1), then gone.
        let queued = try RawClient(port: server.port)
        queued.send("POST /v1/completions HTTP/1.1\r\nContent-Length: \(longBody.utf8.count)\r\n\r\n" + longBody)
        XCTAssertTrue(try waitUntil { try server.metrics()["vllm:num_requests_waiting"] == 1 }, "the second request never waited")
        let aborted = #"vllm:request_success_total{finished_reason="abort"}"#
        var m = try server.metrics()
        XCTAssertEqual(m["vllm:num_requests_running"], 1)
        XCTAssertEqual(m[aborted], 0)
        queued.close()
        decoding.close()
        m = try server.waitIdle()
        XCTAssertEqual(m["tern:kv_cache_used_blocks"], 0, "blocks left after mid-queue and mid-decode disconnects")
        XCTAssertEqual(m[aborted], 2, "both requests counted as aborted")
        XCTAssertEqual(m[#"vllm:request_success_total{finished_reason="length"}"#], 0)

        // Mid-prefill: a ~1000-token prompt at 32 tokens a step; leave after the first steps.
        let words = (0 ..< 700).map { "word\($0 % 50)" }.joined(separator: " ")
        let prefillBody = #"{"prompt":"\#(words)","max_tokens":5,"temperature":0}"#
        let prefill = try RawClient(port: server.port)
        prefill.send("POST /v1/completions HTTP/1.1\r\nContent-Length: \(prefillBody.utf8.count)\r\n\r\n" + prefillBody)
        XCTAssertTrue(try waitUntil(timeout: 2) { try server.metrics()["vllm:num_requests_running"] == 1 })
        let promptBefore = try server.metrics()["vllm:prompt_tokens_total"] ?? 0
        prefill.close()
        m = try server.waitIdle()
        XCTAssertEqual(m["tern:kv_cache_used_blocks"], 0, "blocks left after a mid-prefill disconnect")
        XCTAssertEqual(m["vllm:prompt_tokens_total"], promptBefore, "the aborted prefill was not finished")
        XCTAssertEqual(m[aborted], 3, "the prefill counted as aborted")
    }

    /// A client that shuts down its write side after sending a whole request (legal, and done by
    /// some clients and proxies) is served, streamed or not; no error body names an internal type.
    func testHalfClosedClientsAreServed() throws {
        let server = try TestServer()
        defer { server.stop() }
        let words = (0 ..< 500).map { "word\($0 % 50)" }.joined(separator: " ")
        for stream in [false, true] {
            let body = #"{"prompt":"\#(words)","max_tokens":4,"temperature":0,"stream":\#(stream)}"#
            let c = try RawClient(port: server.port)
            c.send("POST /v1/completions HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
            c.shutdownWrite()
            let raw = c.read()
            c.close()
            let r = TestServer.parseResponse(raw)
            XCTAssertEqual(r.status, 200, "stream \(stream): \(raw.prefix(300))")
            XCTAssertFalse(raw.contains("ClientGone"), raw)
            if stream { XCTAssertEqual(r.events.last, "[DONE]") } else { XCTAssertTrue(r.body.contains(#""text":"#), r.body) }
        }
        XCTAssertEqual(try server.waitIdle()["tern:kv_cache_used_blocks"], 0)
    }

    func testAPIKeyAndWaitingBound() throws {
        let server = try TestServer(maxNumSeqs: 1, maxWaiting: 0, apiKey: "sekrit", corsOrigin: "https://app.example")
        defer { server.stop() }
        let body = #"{"prompt":"Hi","max_tokens":2,"temperature":0}"#
        XCTAssertEqual(try server.request("GET", "/health").status, 200)
        // Without the key, routes cannot be discovered: unknown paths and wrong methods are 401 too.
        for (method, path) in [("GET", "/no-such-route"), ("DELETE", "/v1/models"), ("GET", "/v1/completions")] {
            let r = try server.request(method, path)
            XCTAssertEqual(r.status, 401, "\(method) \(path)")
            XCTAssertTrue(r.head.contains("Access-Control-Allow-Origin: https://app.example"), r.head)
        }
        let missing = try server.request("GET", "/no-such-route", headers: ["Authorization: Bearer sekrit"])
        XCTAssertEqual(missing.status, 404)
        XCTAssertTrue(missing.head.contains("Access-Control-Allow-Origin: https://app.example"), "no CORS on 404: \(missing.head)")
        XCTAssertEqual(try server.request("OPTIONS", "/v1/completions").status, 204, "preflights need no key")
        for path in ["/v1/models", "/metrics"] {
            let r = try server.request("GET", path)
            XCTAssertEqual(r.status, 401)
            XCTAssertTrue(r.body.contains("authentication_error"))
        }
        XCTAssertEqual(try server.post("/v1/completions", body).status, 401)
        XCTAssertEqual(try server.post("/v1/completions", body, headers: ["Authorization: Bearer wrong"]).status, 401)
        XCTAssertEqual(try server.post("/tokenize", #"{"prompt":"a"}"#).status, 401)
        let auth = ["Authorization: Bearer sekrit"]
        XCTAssertEqual(try server.post("/v1/completions", body, headers: auth).status, 200)

        // One sequence may run and none may wait: a second concurrent request gets 429 + Retry-After.
        let long = #"{"prompt":"Hi","max_tokens":400,"ignore_eos":true,"stream":true}"#
        let c = try RawClient(port: server.port)
        c.send("POST /v1/completions HTTP/1.1\r\nAuthorization: Bearer sekrit\r\nContent-Length: \(long.utf8.count)\r\n\r\n" + long)
        _ = c.read { $0.contains("\"text\"") }
        let refused = try server.post("/v1/completions", body, headers: auth)
        XCTAssertEqual(refused.status, 429)
        XCTAssertTrue(refused.head.contains("Retry-After: 1"))
        XCTAssertTrue(refused.body.contains("rate_limit_error"))
        c.close()
        XCTAssertEqual(try server.waitIdle(headers: auth)["tern:kv_cache_used_blocks"], 0)
    }

    func testModelsTokenizeDetokenizeAndLogprobShapes() throws {
        let server = try TestServer()
        defer { server.stop() }
        let models = try XCTUnwrap(server.request("GET", "/v1/models").json)
        XCTAssertEqual(models["object"], .string("list"))
        let tok = try XCTUnwrap(server.post("/tokenize", #"{"prompt":"Hello world"}"#).json)
        guard case .array(let ids)? = tok["tokens"] else { return XCTFail("no tokens") }
        XCTAssertEqual(tok["count"], .int(ids.count))
        let detok = try XCTUnwrap(server.post("/detokenize", JSON.object([("tokens", .array(ids))]).serialized).json)
        XCTAssertEqual(detok["prompt"]?.stringValue?.hasSuffix("Hello world"), true)
        let chatTok = try XCTUnwrap(server.post("/tokenize", #"{"messages":[{"role":"user","content":"Hi"}]}"#).json)
        // The template wraps "Hi" in role markers: more tokens than the text alone, counted right.
        guard case .array(let chatIDs)? = chatTok["tokens"] else { return XCTFail("no chat tokens") }
        XCTAssertEqual(chatTok["count"], .int(chatIDs.count))
        XCTAssertGreaterThan(chatIDs.count, 4)

        // Completions: n=2 (seeded choices differ by seed), echo, legacy logprobs with 2 alternatives.
        let r = try XCTUnwrap(server.post("/v1/completions", #"{"prompt":["Hi","Bye"],"n":2,"max_tokens":3,"logprobs":2,"seed":1}"#).json)
        guard case .array(let choices)? = r["choices"] else { return XCTFail("no choices") }
        XCTAssertEqual(choices.count, 4)
        XCTAssertEqual(choices.map { $0["index"] }, [.int(0), .int(1), .int(2), .int(3)])
        guard case .array(let tops)? = choices[0]["logprobs"]?["top_logprobs"], case .object(let first)? = tops.first else { return XCTFail("shape") }
        XCTAssertGreaterThanOrEqual(first.count, 2)
        XCTAssertNotNil(choices[0]["logprobs"]?["text_offset"])
        let echo = try XCTUnwrap(server.post("/v1/completions", #"{"prompt":"The sky is","echo":true,"max_tokens":2,"temperature":0}"#).json)
        XCTAssertEqual(echo["choices"].flatMap { if case .array(let a) = $0 { return a.first?["text"]?.stringValue?.hasPrefix("The sky is") } else { return nil } }, true)

        // Echo with logprobs: the prompt's tokens first (the first with null), then the completion's.
        let promptCount = try XCTUnwrap(server.post("/tokenize", #"{"prompt":"The sky is"}"#).json?["count"]).serialized
        let el = try XCTUnwrap(server.post("/v1/completions", #"{"prompt":"The sky is","echo":true,"max_tokens":3,"temperature":0,"logprobs":1}"#).json)
        guard case .array(let ec)? = el["choices"], let lp = ec.first?["logprobs"], case .array(let toks)? = lp["tokens"],
              case .array(let values)? = lp["token_logprobs"], case .array(let offsets)? = lp["text_offset"] else { return XCTFail("echo logprobs shape") }
        XCTAssertEqual(toks.count, Int(promptCount)! + 3)
        XCTAssertEqual(values.first, .null)
        XCTAssertTrue(values.dropFirst().allSatisfy { ($0.doubleValue ?? 1) <= 0 })
        XCTAssertEqual(offsets.first, .int(0))
        XCTAssertEqual(toks.compactMap(\.stringValue).joined(), ec.first?["text"]?.stringValue)
        let streamedEcho = try server.post("/v1/completions", #"{"prompt":"The sky is","echo":true,"max_tokens":3,"temperature":0,"logprobs":1,"stream":true}"#)
        XCTAssertEqual(try streamed(streamedEcho, chat: false).text, ec.first?["text"]?.stringValue)

        // Chat: logprobs in chat's shape.
        let chat = try XCTUnwrap(server.post("/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":3,"logprobs":true,"top_logprobs":2}"#).json)
        guard case .array(let cc)? = chat["choices"], case .array(let content)? = cc.first?["logprobs"]?["content"] else { return XCTFail("chat logprobs") }
        XCTAssertEqual(content.count, 3)
        guard case .array(let alternatives)? = content.first?["top_logprobs"] else { return XCTFail("top_logprobs") }
        XCTAssertEqual(alternatives.count, 2)
        XCTAssertNotNil(content.first?["bytes"])
        // Too long for the context: 400 naming both numbers.
        let tooLong = try server.post("/v1/completions", #"{"prompt":"Hi","max_tokens":5000}"#)
        XCTAssertEqual(tooLong.status, 400)
        XCTAssertTrue(tooLong.body.contains("2048") && tooLong.body.contains("5001"), tooLong.body)
    }
}
