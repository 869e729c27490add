import Foundation
import JSON
import TestSupport
import XCTest

/// Anthropic's Messages API end to end: the message and stream shapes on SmolLM2 (named events
/// in Anthropic's order, deltas assembling to the whole answer, stop sequences), count_tokens
/// against chat's rendering of the same conversation, Anthropic-shaped errors, `x-api-key`, and
/// tool_use blocks from the tiny Qwen2 checkpoint (Hermes format, calls made well formed by the grammar).
final class MessagesEndToEndTests: XCTestCase {
    /// A stream's events: name (from `event:`) and data.
    private func events(_ r: TestServer.Response) throws -> [(name: String, data: JSON)] { try r.namedEvents() }

    private func body(_ fields: String, stream: Bool = false) -> String {
        #"{"model": "smollm2", "temperature": 0, "stream": \#(stream), "metadata": {"user_id": "u1"}, \#(fields)}"#
    }

    func testMessageAndStreamShapesAndStopSequences() throws {
        let server = try TestServer()
        defer { server.stop() }
        let ask = #""system": [{"type": "text", "text": "You are terse."}], "messages": [{"role": "user", "content": "Name three colors."}]"#
        let whole = try server.post("/v1/messages", body(ask + #", "max_tokens": 30"#))
        XCTAssertEqual(whole.status, 200, whole.body)
        let m = try XCTUnwrap(whole.json)
        XCTAssertTrue(m["id"]?.stringValue?.hasPrefix("msg_") ?? false)
        XCTAssertEqual(m["type"], .string("message"))
        XCTAssertEqual(m["role"], .string("assistant"))
        XCTAssertEqual(m["model"], .string("smollm2"))
        let content = try XCTUnwrap(m["content"]?.arrayValue)
        XCTAssertEqual(content.count, 1)
        XCTAssertEqual(content[0]["type"], .string("text"))
        let text = try XCTUnwrap(content[0]["text"]?.stringValue)
        XCTAssertTrue(["end_turn", "max_tokens"].contains(m["stop_reason"]?.stringValue ?? ""), whole.body)
        XCTAssertEqual(m["stop_sequence"], .null)
        let output = try XCTUnwrap(m["usage"]?["output_tokens"]?.intValue)
        XCTAssertLessThanOrEqual(output, 30)
        let input = try XCTUnwrap(m["usage"]?["input_tokens"]?.intValue)

        // Streamed: Anthropic's event order; the deltas are the whole answer's text.
        let stream = try events(server.post("/v1/messages", body(ask + #", "max_tokens": 30"#, stream: true)))
        let names = stream.map(\.name)
        XCTAssertEqual(Array(names.prefix(3)), ["message_start", "content_block_start", "ping"])
        XCTAssertEqual(Array(names.suffix(3)), ["content_block_stop", "message_delta", "message_stop"])
        XCTAssertEqual(Set(names.dropFirst(3).dropLast(3)), ["content_block_delta"])
        XCTAssertEqual(stream[0].data["message"]?["usage"]?["input_tokens"], .int(input))
        XCTAssertEqual(stream[0].data["message"]?["content"], .array([]))
        XCTAssertEqual(stream[1].data["content_block"], .object([("type", .string("text")), ("text", .string(""))]))
        let deltas = stream.filter { $0.name == "content_block_delta" }.map(\.data)
        XCTAssertTrue(deltas.allSatisfy { $0["index"] == .int(0) && $0["delta"]?["type"] == .string("text_delta") })
        XCTAssertEqual(deltas.compactMap { $0["delta"]?["text"]?.stringValue }.joined(), text)
        let last = stream[stream.count - 2].data
        XCTAssertEqual(last["delta"]?["stop_reason"], m["stop_reason"])
        XCTAssertEqual(last["usage"]?["output_tokens"], .int(output))

        // A stop sequence from the middle of the answer: the text before it, and which one matched.
        let words = text.split(separator: " ")
        XCTAssertGreaterThan(words.count, 2, text)
        let stop = String(words[2])
        let stopped = try XCTUnwrap(server.post("/v1/messages", body(ask + #", "max_tokens": 30, "stop_sequences": ["zzz", "\#(stop)"]"#)).json)
        XCTAssertEqual(stopped["stop_reason"], .string("stop_sequence"))
        XCTAssertEqual(stopped["stop_sequence"], .string(stop))
        let cut = try XCTUnwrap(text.range(of: stop)).lowerBound
        let before = String(text[..<cut])
        XCTAssertEqual(stopped["content"]?.arrayValue?.first?["text"], .string(before))

        let one = try XCTUnwrap(server.post("/v1/messages", body(ask + #", "max_tokens": 1"#)).json)
        XCTAssertEqual(one["stop_reason"], .string("max_tokens"))
        XCTAssertEqual(one["usage"]?["output_tokens"], .int(1))
        XCTAssertEqual(try server.waitIdle()["tern:kv_cache_used_blocks"], 0)
    }

    func testBadInputGetsAnthropicErrorsAndTheServerKeepsServing() throws {
        let server = try TestServer()
        defer { server.stop() }
        let ask = #""messages": [{"role": "user", "content": "Hi"}]"#
        let bad = [
            "{", "[]", body(ask), body(#""max_tokens": 5"#), body(#""max_tokens": 5, "messages": []"#),
            body(#""max_tokens": 0, "#+ask), body(#""max_tokens": 5, "temperature": 1.5, "#+ask),
            body(#""max_tokens": 5, "messages": [{"role": "system", "content": "x"}]"#),
            body(#""max_tokens": 5, "messages": [{"role": "user", "content": 7}]"#),
            body(#""max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]"#),
            body(#""max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "tool_use", "id": "a", "name": "f", "input": {}}]}]"#),
            body(#""max_tokens": 5, "system": 3, "#+ask), body(#""max_tokens": 5, "stop_sequences": [""], "#+ask),
            body(#""max_tokens": 5, "tools": [{"name": "f"}], "#+ask),
            body(#""max_tokens": 5, "tools": [{"type": "web_search_20250305", "name": "web_search"}], "#+ask),
            body(#""max_tokens": 5, "tool_choice": {"type": "sometimes"}, "#+ask),
            body(#""max_tokens": 99999, "#+ask),
        ]
        for b in bad {
            let r = try server.post("/v1/messages", b)
            XCTAssertEqual(r.status, 400, b)
            XCTAssertEqual(r.json?["type"], .string("error"), r.body)
            XCTAssertEqual(r.json?["error"]?["type"], .string("invalid_request_error"), r.body)
            XCTAssertFalse(r.json?["error"]?["message"]?.stringValue?.isEmpty ?? true, r.body)
        }
        let count = try server.post("/v1/messages/count_tokens", #"{"model": "smollm2", "messages": "Hi"}"#)
        XCTAssertEqual(count.status, 400)
        XCTAssertEqual(count.json?["error"]?["type"], .string("invalid_request_error"), count.body)
        let other = try server.post("/v1/messages", #"{"model": "claude-x", "max_tokens": 5, \#(ask)}"#)
        XCTAssertEqual(other.status, 404)
        XCTAssertEqual(other.json?["error"]?["type"], .string("not_found_error"), other.body)
        // Chat's errors keep OpenAI's shape.
        XCTAssertNotNil(try server.post("/v1/chat/completions", "{").json?["error"]?["message"])
        XCTAssertEqual(try server.post("/v1/messages", body(#""max_tokens": 3, "#+ask)).status, 200)
    }

    func testXAPIKeyOrBearerOnAKeyedServer() throws {
        let server = try TestServer(apiKey: "sekrit")
        defer { server.stop() }
        let b = #"{"model": "smollm2", "max_tokens": 2, "messages": [{"role": "user", "content": "Hi"}]}"#
        for headers in [[], ["x-api-key: wrong"], ["Authorization: Bearer wrong"]] {
            let r = try server.post("/v1/messages", b, headers: headers)
            XCTAssertEqual(r.status, 401, "\(headers)")
            XCTAssertEqual(r.json?["type"], .string("error"), r.body)
            XCTAssertEqual(r.json?["error"]?["type"], .string("authentication_error"), r.body)
        }
        XCTAssertEqual(try server.post("/v1/messages", b, headers: ["x-api-key: sekrit", "anthropic-version: 2023-06-01"]).status, 200)
        XCTAssertEqual(try server.post("/v1/messages", b, headers: ["Authorization: Bearer sekrit"]).status, 200)
        XCTAssertEqual(try server.post("/v1/messages/count_tokens", b, headers: ["x-api-key: sekrit"]).status, 200)
        // x-api-key also opens the OpenAI routes.
        XCTAssertEqual(try server.request("GET", "/v1/models", headers: ["x-api-key: sekrit"]).status, 200)
    }

    /// count_tokens is the length of chat's rendering of the same conversation: system blocks,
    /// tool_use blocks as an assistant's tool_calls, tool_result blocks as tool messages.
    func testCountTokensIsTheEquivalentChatPrompt() throws {
        try requireFile(ToolCallTests.tinyQwen2 + "/model-00001-of-00002.safetensors")  // written by scripts/test
        let server = try TestServer(model: ToolCallTests.tinyQwen2)
        defer { server.stop() }
        let anthropic = #"""
        {"model": "smollm2", "system": [{"type": "text", "text": "Be brief."}], "tools": [{"name": "add", "description": "Adds.",
         "input_schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}],
         "messages": [{"role": "user", "content": [{"type": "text", "text": "Add 2"}]},
                      {"role": "assistant", "content": [{"type": "text", "text": "Sure."}, {"type": "tool_use", "id": "t1", "name": "add", "input": {"a": 2}}]},
                      {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "4"}]}, {"type": "text", "text": "Thanks"}]}]}
        """#
        let chat = #"""
        {"tools": [{"type": "function", "function": {"name": "add", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}, "description": "Adds."}}],
         "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Add 2"},
                      {"role": "assistant", "content": "Sure.", "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "add", "arguments": "{\"a\":2}"}}]},
                      {"role": "tool", "tool_call_id": "t1", "content": "4"}, {"role": "user", "content": "Thanks"}]}
        """#
        let counted = try XCTUnwrap(server.post("/v1/messages/count_tokens", anthropic).json?["input_tokens"]?.intValue)
        let tokens = try XCTUnwrap(server.post("/tokenize", chat).json?["count"]?.intValue)
        XCTAssertEqual(counted, tokens)
        XCTAssertGreaterThan(counted, 30)
    }

    func testToolUseBlocksWholeAndStreamed() throws {
        try requireFile(ToolCallTests.tinyQwen2 + "/model-00001-of-00002.safetensors")  // written by scripts/test
        let server = try TestServer(model: ToolCallTests.tinyQwen2)
        defer { server.stop() }
        let fields = #"""
        "max_tokens": 120, "messages": [{"role": "user", "content": "Add 2 and 3"}], "tool_choice": {"type": "tool", "name": "add"},
        "tools": [{"name": "add", "input_schema": {"type": "object", "properties": {"a": {"type": "integer", "minimum": 0, "maximum": 99},
          "b": {"type": "integer", "minimum": 0, "maximum": 99}}, "required": ["a", "b"]}}]
        """#
        let whole = try server.post("/v1/messages", body(fields))
        XCTAssertEqual(whole.status, 200, whole.body)
        let m = try XCTUnwrap(whole.json)
        XCTAssertEqual(m["stop_reason"], .string("tool_use"), whole.body)
        let uses = m["content"]?.arrayValue?.filter { $0["type"] == .string("tool_use") } ?? []
        XCTAssertFalse(uses.isEmpty, whole.body)
        for u in uses {
            XCTAssertEqual(u["name"], .string("add"))
            XCTAssertTrue(u["id"]?.stringValue?.hasPrefix("call_") ?? false, whole.body)
            XCTAssertEqual(u["input"]?.objectValue?.map(\.0), ["a", "b"], whole.body)
        }
        // Streamed: tool_use blocks open with empty input and fill by input_json_delta pieces.
        let stream = try events(server.post("/v1/messages", body(fields, stream: true)))
        var assembled: [JSON] = []
        var arguments: [Int: String] = [:]
        for (name, data) in stream {
            let index = data["index"]?.intValue ?? -1
            switch name {
            case "content_block_start": XCTAssertEqual(index, assembled.count); assembled.append(data["content_block"] ?? .null)
            case "content_block_delta":
                if data["delta"]?["type"] == .string("input_json_delta") { arguments[index, default: ""] += data["delta"]?["partial_json"]?.stringValue ?? "" }
            case "content_block_stop":
                if let a = arguments[index], case .object(let f) = assembled[index] {
                    let input = try JSONParser.parse(Array(a.utf8))
                    assembled[index] = .object(f.map { $0.0 == "input" ? ($0.0, input) : $0 })
                }
            default: break
            }
        }
        XCTAssertEqual(assembled.map { $0["input"] }, m["content"]?.arrayValue?.map { $0["input"] })
        XCTAssertEqual(stream[stream.count - 2].data["delta"]?["stop_reason"], .string("tool_use"))
    }
}
