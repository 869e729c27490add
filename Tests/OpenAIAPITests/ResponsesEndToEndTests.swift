import Foundation
import JSON
import TestSupport
import XCTest

/// OpenAI's Responses API end to end on SmolLM2: the response object and the named stream
/// events (numbered without gaps, deltas assembling to the whole answer, `incomplete` at the
/// length limit), stored responses (retrieve, input_items, delete, `store: false`, the LRU
/// bound), `previous_response_id` continuing the conversation, function_call items whole and
/// streamed, and OpenAI-shaped 400s and 404s with the server still serving.
final class ResponsesEndToEndTests: XCTestCase {
    /// A stream's events: name (from `event:`) and data, numbered 0, 1, 2, … without gaps.
    private func events(_ r: TestServer.Response) throws -> [(name: String, data: JSON)] {
        let events = try r.namedEvents()
        XCTAssertEqual(events.map { $0.data["sequence_number"]?.intValue }, Array(0 ..< events.count).map { Optional($0) })
        return events
    }

    private func body(_ fields: String, stream: Bool = false) -> String {
        #"{"model": "smollm2", "temperature": 0, "stream": \#(stream), \#(fields)}"#
    }

    func testResponseAndStreamShapes() throws {
        let server = try TestServer()
        defer { server.stop() }
        let ask = #""instructions": "You are terse.", "input": "Name three colors.", "max_output_tokens": 200, "metadata": {"k": "v"}"#
        let whole = try server.post("/v1/responses", body(ask))
        XCTAssertEqual(whole.status, 200, whole.body)
        let r = try XCTUnwrap(whole.json)
        XCTAssertTrue(r["id"]?.stringValue?.hasPrefix("resp_") ?? false)
        XCTAssertEqual(r["object"], .string("response"))
        XCTAssertEqual(r["status"], .string("completed"), whole.body)
        XCTAssertEqual(r["incomplete_details"], .null)
        XCTAssertEqual(r["model"], .string("smollm2"))
        XCTAssertEqual(r["instructions"], .string("You are terse."))
        XCTAssertEqual(r["metadata"]?["k"], .string("v"))
        XCTAssertEqual(r["max_output_tokens"], .int(200))
        XCTAssertEqual(r["temperature"]?.doubleValue, 0)
        let output = try XCTUnwrap(r["output"]?.arrayValue)
        XCTAssertEqual(output.count, 1)
        XCTAssertEqual(output[0]["type"], .string("message"))
        XCTAssertEqual(output[0]["role"], .string("assistant"))
        XCTAssertEqual(output[0]["status"], .string("completed"))
        let text = try XCTUnwrap(output[0]["content"]?.arrayValue?.first?["text"]?.stringValue)
        XCTAssertFalse(text.isEmpty)
        let usage = try XCTUnwrap(r["usage"])
        let input = try XCTUnwrap(usage["input_tokens"]?.intValue), out = try XCTUnwrap(usage["output_tokens"]?.intValue)
        XCTAssertEqual(usage["total_tokens"], .int(input + out))
        XCTAssertEqual(usage["input_tokens_details"]?["cached_tokens"], .int(0))
        XCTAssertEqual(usage["output_tokens_details"]?["reasoning_tokens"], .int(0))

        // Streamed: the Responses events in order; the deltas are the whole answer's text.
        let stream = try events(server.post("/v1/responses", body(ask, stream: true)))
        let names = stream.map(\.name)
        XCTAssertEqual(Array(names.prefix(4)), ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"])
        XCTAssertEqual(Array(names.suffix(4)), ["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"])
        XCTAssertEqual(Set(names.dropFirst(4).dropLast(4)), ["response.output_text.delta"])
        XCTAssertEqual(stream[0].data["response"]?["status"], .string("in_progress"))
        XCTAssertEqual(stream[0].data["response"]?["output"], .array([]))
        let id = try XCTUnwrap(stream[0].data["response"]?["id"])
        XCTAssertTrue(stream.allSatisfy { $0.data["response"].map { $0["id"] == id } ?? true }, "one response id")
        let deltas = stream.filter { $0.name == "response.output_text.delta" }.map(\.data)
        let itemID = try XCTUnwrap(stream[2].data["item"]?["id"])
        XCTAssertTrue(deltas.allSatisfy { $0["item_id"] == itemID && $0["output_index"] == .int(0) && $0["content_index"] == .int(0) })
        XCTAssertEqual(deltas.compactMap { $0["delta"]?.stringValue }.joined(), text)
        XCTAssertEqual(stream[stream.count - 4].data["text"], .string(text))
        let final = try XCTUnwrap(stream.last?.data["response"])
        XCTAssertEqual(final["status"], .string("completed"))
        XCTAssertEqual(final["output"]?.arrayValue?.first?["content"], output[0]["content"])
        XCTAssertEqual(final["usage"]?["output_tokens"], .int(out))
        XCTAssertEqual(stream[stream.count - 2].data["item"], final["output"]?.arrayValue?.first)

        // Cut by max_output_tokens: incomplete, whole and streamed.
        let cut = try XCTUnwrap(server.post("/v1/responses", body(#""input": "Count to fifty.", "max_output_tokens": 3"#)).json)
        XCTAssertEqual(cut["status"], .string("incomplete"))
        XCTAssertEqual(cut["incomplete_details"]?["reason"], .string("max_output_tokens"))
        XCTAssertEqual(cut["output"]?.arrayValue?.first?["status"], .string("incomplete"))
        XCTAssertEqual(cut["usage"]?["output_tokens"], .int(3))
        let cutStream = try events(server.post("/v1/responses", body(#""input": "Count to fifty.", "max_output_tokens": 3"#, stream: true)))
        XCTAssertEqual(cutStream.last?.name, "response.incomplete")
        XCTAssertEqual(cutStream.last?.data["response"]?["incomplete_details"]?["reason"], .string("max_output_tokens"))
        XCTAssertEqual(try server.waitIdle()["tern:kv_cache_used_blocks"], 0)
    }

    func testStoredResponsesAndPreviousResponseID() throws {
        let server = try TestServer(maxStoredResponses: 3)
        defer { server.stop() }
        let first = try XCTUnwrap(server.post("/v1/responses", body(#""input": "My name is Ada.", "max_output_tokens": 20"#)).json)
        let id = try XCTUnwrap(first["id"]?.stringValue)
        XCTAssertEqual(first["store"], .bool(true))
        let got = try server.request("GET", "/v1/responses/\(id)")
        XCTAssertEqual(got.status, 200)
        XCTAssertEqual(got.json, first)

        // The second turn's prompt holds the first turn: more input tokens than both of the first's.
        let second = try XCTUnwrap(server.post("/v1/responses", body(#""input": "What is my name?", "previous_response_id": "\#(id)", "max_output_tokens": 20"#)).json)
        XCTAssertEqual(second["previous_response_id"], .string(id))
        let firstTokens = try XCTUnwrap(first["usage"]?["total_tokens"]?.intValue)
        XCTAssertGreaterThan(try XCTUnwrap(second["usage"]?["input_tokens"]?.intValue), firstTokens)
        let alone = try XCTUnwrap(server.post("/v1/responses", body(#""input": "What is my name?", "max_output_tokens": 20"#)).json)
        XCTAssertLessThan(try XCTUnwrap(alone["usage"]?["input_tokens"]?.intValue), try XCTUnwrap(second["usage"]?["input_tokens"]?.intValue))

        // input_items: this request's input, newest first by default.
        let items = try XCTUnwrap(server.request("GET", "/v1/responses/\(id)/input_items?order=asc&limit=5").json)
        XCTAssertEqual(items["object"], .string("list"))
        XCTAssertEqual(items["data"]?.arrayValue?.count, 1)
        XCTAssertEqual(items["data"]?.arrayValue?.first?["content"]?.arrayValue?.first?["text"], .string("My name is Ada."))
        XCTAssertEqual(items["has_more"], .bool(false))
        XCTAssertEqual(try server.request("GET", "/v1/responses/\(id)/input_items?limit=0").status, 400)

        // Delete, then 404 in OpenAI's shape; store: false is never kept; an unknown previous id is a 400.
        let deleted = try server.request("DELETE", "/v1/responses/\(id)")
        XCTAssertEqual(deleted.json?["deleted"], .bool(true))
        for (method, path) in [("GET", "/v1/responses/\(id)"), ("DELETE", "/v1/responses/\(id)"), ("GET", "/v1/responses/\(id)/input_items")] {
            let r = try server.request(method, path)
            XCTAssertEqual(r.status, 404, path)
            XCTAssertEqual(r.json?["error"]?["type"], .string("invalid_request_error"), r.body)
            XCTAssertEqual(r.json?["error"]?["code"], .string("not_found"), r.body)
        }
        let unstored = try XCTUnwrap(server.post("/v1/responses", body(#""input": "Hi", "store": false, "max_output_tokens": 2"#)).json)
        XCTAssertEqual(unstored["store"], .bool(false))
        XCTAssertEqual(try server.request("GET", "/v1/responses/\(unstored["id"]?.stringValue ?? "")").status, 404)
        let missing = try server.post("/v1/responses", body(#""input": "Hi", "previous_response_id": "\#(id)""#))
        XCTAssertEqual(missing.status, 400)
        XCTAssertEqual(missing.json?["error"]?["param"], .string("previous_response_id"))
        XCTAssertEqual(missing.json?["error"]?["code"], .string("previous_response_not_found"))

        // At most 3 kept: the oldest go first.
        var ids: [String] = []
        for _ in 0 ..< 4 { ids.append(try XCTUnwrap(server.post("/v1/responses", body(#""input": "Hi", "max_output_tokens": 1"#)).json?["id"]?.stringValue)) }
        XCTAssertEqual(try ids.map { try server.request("GET", "/v1/responses/\($0)").status }, [404, 200, 200, 200])
    }

    func testFunctionCallItemsWholeStreamedAndAnsweredByTheirOutput() throws {
        let server = try TestServer()
        defer { server.stop() }
        let tools = #"""
        "tools": [{"type": "function", "name": "add", "description": "Adds two integers.", "parameters": {"type": "object",
          "properties": {"a": {"type": "integer", "minimum": 0, "maximum": 99}, "b": {"type": "integer", "minimum": 0, "maximum": 99}},
          "required": ["a", "b"]}}], "tool_choice": {"type": "function", "name": "add"}, "input": "Add 2 and 3.", "max_output_tokens": 100
        """#
        let whole = try server.post("/v1/responses", body(tools))
        XCTAssertEqual(whole.status, 200, whole.body)
        let r = try XCTUnwrap(whole.json)
        XCTAssertEqual(r["status"], .string("completed"), whole.body)
        XCTAssertEqual(r["tools"]?.arrayValue?.first?["name"], .string("add"))
        XCTAssertEqual(r["tool_choice"]?["name"], .string("add"))
        let calls = try XCTUnwrap(r["output"]?.arrayValue).filter { $0["type"] == .string("function_call") }
        XCTAssertEqual(calls.count, 1, whole.body)
        let call = calls[0]
        XCTAssertEqual(call["name"], .string("add"))
        XCTAssertTrue(call["call_id"]?.stringValue?.hasPrefix("call_") ?? false)
        XCTAssertTrue(call["id"]?.stringValue?.hasPrefix("fc_") ?? false)
        let arguments = try JSONParser.parse(Array((call["arguments"]?.stringValue ?? "").utf8))
        XCTAssertEqual(arguments.objectValue?.map(\.0), ["a", "b"], whole.body)

        // Streamed: the arguments' deltas assemble to the done event's and the item's.
        let stream = try events(server.post("/v1/responses", body(tools, stream: true)))
        let names = stream.map(\.name)
        XCTAssertEqual(Array(names.prefix(3)), ["response.created", "response.in_progress", "response.output_item.added"])
        XCTAssertEqual(Array(names.suffix(3)), ["response.function_call_arguments.done", "response.output_item.done", "response.completed"])
        let pieces = stream.filter { $0.name == "response.function_call_arguments.delta" }.compactMap { $0.data["delta"]?.stringValue }
        XCTAssertEqual(pieces.joined(), stream[stream.count - 3].data["arguments"]?.stringValue)
        XCTAssertEqual(pieces.joined(), call["arguments"]?.stringValue)
        XCTAssertEqual(stream[2].data["item"]?["arguments"], .string(""))
        XCTAssertEqual(stream[2].data["item"]?["status"], .string("in_progress"))

        // The call's output continues the stored conversation (the tools offered again, as clients do).
        let id = try XCTUnwrap(r["id"]?.stringValue), callID = try XCTUnwrap(call["call_id"]?.stringValue)
        let offered = try XCTUnwrap(tools.components(separatedBy: #", "tool_choice""#).first)
        let next = try server.post("/v1/responses", body(offered + #"""
            , "previous_response_id": "\#(id)", "max_output_tokens": 20,
            "input": [{"type": "function_call_output", "call_id": "\#(callID)", "output": "5"}]
            """#))
        XCTAssertEqual(next.status, 200, next.body)
        XCTAssertGreaterThan(next.json?["usage"]?["input_tokens"]?.intValue ?? 0, r["usage"]?["input_tokens"]?.intValue ?? .max)
    }

    /// A stream that cannot run (the server is full) ends with `response.failed` carrying the
    /// error; not streamed, the same is a 429. Neither is stored.
    func testAFullServerFailsTheStreamAndRefusesTheWholeAnswer() throws {
        let server = try TestServer(maxNumSeqs: 1, maxWaiting: 0)
        defer { server.stop() }
        // The one sequence is taken by a long completion.
        let long = #"{"prompt": "Hi", "max_tokens": 400, "ignore_eos": true, "stream": true}"#
        let c = try RawClient(port: server.port)
        c.send("POST /v1/completions HTTP/1.1\r\nContent-Length: \(long.utf8.count)\r\n\r\n" + long)
        _ = c.read { $0.contains("\"text\"") }
        let stream = try events(server.post("/v1/responses", body(#""input": "Hi""#, stream: true)))
        XCTAssertEqual(stream.map(\.name), ["response.created", "response.in_progress", "response.failed"])
        let failed = try XCTUnwrap(stream.last?.data["response"])
        XCTAssertEqual(failed["status"], .string("failed"))
        XCTAssertEqual(failed["error"]?["code"], .string("rate_limit_exceeded"))
        XCTAssertFalse(failed["error"]?["message"]?.stringValue?.isEmpty ?? true)
        XCTAssertEqual(try server.request("GET", "/v1/responses/\(failed["id"]?.stringValue ?? "")").status, 404)
        let refused = try server.post("/v1/responses", body(#""input": "Hi""#))
        XCTAssertEqual(refused.status, 429)
        XCTAssertEqual(refused.json?["error"]?["type"], .string("rate_limit_error"))
        c.close()
        XCTAssertEqual(try server.waitIdle()["tern:kv_cache_used_blocks"], 0)
    }

    func testBadInputIsA400InOpenAIsShapeAndTheServerKeepsServing() throws {
        let server = try TestServer()
        defer { server.stop() }
        let bad = [
            "{", "[]", #"{"model": "smollm2"}"#, body(#""input": []"#), body(#""input": [{"role": "robot", "content": "x"}]"#),
            body(#""input": "x", "temperature": 3"#), body(#""input": "x", "max_output_tokens": 0"#),
            body(#""input": "x", "max_output_tokens": 99999"#), body(#""input": "x", "tools": [{"type": "file_search"}]"#),
            body(#""input": "x", "tools": [{"type": "function", "name": "bad name"}]"#),
            body(##""input": "x", "tools": [{"type": "function", "name": "f", "parameters": {"type": "object", "properties": {"a": {"$ref": "#/nowhere"}}}}]"##),
            body(#""input": "x", "tool_choice": {"type": "function", "name": "g"}"#),
            body(#""input": "x", "text": {"format": {"type": "json_schema", "name": "s", "schema": {"type": "object"}}}, "tools": [{"type": "function", "name": "f"}], "tool_choice": "required""#),
        ]
        for b in bad {
            let r = try server.post("/v1/responses", b)
            XCTAssertEqual(r.status, 400, b)
            XCTAssertEqual(r.json?["error"]?["type"], .string("invalid_request_error"), r.body)
            XCTAssertFalse(r.json?["error"]?["message"]?.stringValue?.isEmpty ?? true, r.body)
        }
        let renamed = try server.post("/v1/responses", body(#""input": "x", "max_output_tokens": 99999"#)).json?["error"]
        XCTAssertEqual(renamed?["param"], .string("max_output_tokens"))
        XCTAssertEqual(renamed?["code"], .string("context_length_exceeded"))
        let other = try server.post("/v1/responses", #"{"model": "gpt-5", "input": "x"}"#)
        XCTAssertEqual(other.status, 404)
        XCTAssertEqual(other.json?["error"]?["code"], .string("model_not_found"))
        XCTAssertEqual(try server.request("GET", "/v1/responses/").status, 404)
        XCTAssertEqual(try server.request("GET", "/v1/responses/a/b").status, 404)
        XCTAssertEqual(try server.request("PUT", "/v1/responses/a").status, 405)
        XCTAssertEqual(try server.post("/v1/responses", body(#""input": "Hi", "max_output_tokens": 2"#)).status, 200)
    }
}
