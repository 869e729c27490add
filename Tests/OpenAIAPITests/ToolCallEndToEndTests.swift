import Foundation
import JSON
import TestSupport
import XCTest

/// Tool calls end to end with the tiny Qwen2 checkpoint (qwen2.5 template: Hermes format;
/// random weights, so only the grammar makes its calls well formed).
final class ToolCallEndToEndTests: XCTestCase {
    static let tools = #"""
    [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.", "parameters": {"type": "object",
      "properties": {"city": {"type": "string", "maxLength": 12}, "unit": {"enum": ["celsius", "fahrenheit"]}}, "required": ["city", "unit"]}}},
     {"type": "function", "function": {"name": "add", "parameters": {"type": "object", "properties": {"a": {"type": "integer", "minimum": 0,
      "maximum": 99}, "b": {"type": "integer", "minimum": 0, "maximum": 99}}, "required": ["a", "b"]}}}]
    """#

    private func body(_ choice: String, parallel: Bool = true, stream: Bool = false, seed: Int = 0, temperature: Double = 0) -> String {
        #"{"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": \#(Self.tools), "tool_choice": \#(choice), "#
            + #""parallel_tool_calls": \#(parallel), "stream": \#(stream), "max_tokens": 120, "temperature": \#(temperature), "seed": \#(seed)}"#
    }

    /// The calls of a whole answer, or of a stream's deltas assembled as the SDK does; and the finish reason.
    private func calls(_ r: TestServer.Response, stream: Bool) throws -> ([(name: String, arguments: String)], String?) {
        XCTAssertEqual(r.status, 200, r.body)
        guard stream else {
            let choice = try XCTUnwrap(r.json?["choices"]?.arrayValue?.first)
            let list = choice["message"]?["tool_calls"]?.arrayValue ?? []
            for c in list { XCTAssertTrue(c["id"]?.stringValue?.hasPrefix("call_") ?? false) }
            return (list.map { ($0["function"]?["name"]?.stringValue ?? "", $0["function"]?["arguments"]?.stringValue ?? "") },
                    choice["finish_reason"]?.stringValue)
        }
        var out: [(name: String, arguments: String)] = []
        var finish: String?
        for event in r.events where event != "[DONE]" {
            let choice = try XCTUnwrap(JSONParser.parse(Array(event.utf8))["choices"]?.arrayValue?.first)
            if let f = choice["finish_reason"]?.stringValue { finish = f }
            for d in choice["delta"]?["tool_calls"]?.arrayValue ?? [] {
                let i = try XCTUnwrap(d["index"]?.intValue)
                if i == out.count { out.append((d["function"]?["name"]?.stringValue ?? "", "")) }
                out[i].arguments += d["function"]?["arguments"]?.stringValue ?? ""
            }
        }
        return (out, finish)
    }

    private func checkValid(_ call: (name: String, arguments: String), allowed: Set<String>, _ label: String) throws {
        XCTAssertTrue(allowed.contains(call.name), "\(label): \(call.name)")
        let args = try JSONParser.parse(Array(call.arguments.utf8))
        if call.name == "get_weather" {
            XCTAssertEqual(args.objectValue?.map(\.0), ["city", "unit"], label)
            XCTAssertLessThanOrEqual(args["city"]?.stringValue?.count ?? 99, 12, label)
            XCTAssertTrue(["celsius", "fahrenheit"].contains(args["unit"]?.stringValue ?? ""), label)
        } else {
            XCTAssertEqual(args.objectValue?.map(\.0), ["a", "b"], label)
            for k in ["a", "b"] { XCTAssertTrue((0 ... 99).contains(args[k]?.intValue ?? -1), label) }
        }
    }

    func testRequiredAndNamedChoicesGiveValidCallsStreamedOrNot() throws {
        try requireFile(ToolCallTests.tinyQwen2 + "/model-00001-of-00002.safetensors")
        let server = try TestServer(model: ToolCallTests.tinyQwen2)
        defer { server.stop() }
        let named = #"{"type": "function", "function": {"name": "add"}}"#
        for (choice, allowed) in [(#""required""#, Set(["get_weather", "add"])), (named, Set(["add"]))] {
            for (seed, temperature) in [(0, 0.0), (1, 1.0), (2, 1.0), (3, 1.0)] {
                let label = "\(choice) seed \(seed) t \(temperature)"
                let (whole, reason) = try calls(server.post("/v1/chat/completions", body(choice, parallel: false, seed: seed, temperature: temperature)),
                                                stream: false)
                XCTAssertEqual(whole.count, 1, label)
                XCTAssertEqual(reason, "tool_calls", label)
                for c in whole { try checkValid(c, allowed: allowed, label) }
                let (streamed, streamReason) = try calls(server.post("/v1/chat/completions", body(choice, parallel: false, stream: true,
                                                                                                   seed: seed, temperature: temperature)),
                                                         stream: true)
                XCTAssertEqual(streamed.map(\.name), whole.map(\.name), label)
                XCTAssertEqual(streamed.map(\.arguments), whole.map(\.arguments), label)
                XCTAssertEqual(streamReason, "tool_calls", label)
            }
        }
        // Several calls allowed: every one that finished validates.
        let (several, reason) = try calls(server.post("/v1/chat/completions", body(#""required""#)), stream: false)
        XCTAssertFalse(several.isEmpty)
        for c in several where reason == "tool_calls" { try checkValid(c, allowed: ["get_weather", "add"], "parallel") }
        // none: text only.
        let none = try server.post("/v1/chat/completions", body(#""none""#))
        XCTAssertNil(none.json?["choices"]?.arrayValue?.first?["message"]?["tool_calls"], none.body)
        // A conversation with a call and its result renders and answers.
        let history = try server.post("/v1/chat/completions", ToolCallTests.conversation.replacingOccurrences(
            of: #""tools": ["#, with: #""max_tokens": 8, "tools": ["#))
        XCTAssertEqual(history.status, 200, history.body)
        XCTAssertEqual(try server.waitIdle()["tern:kv_cache_used_blocks"], 0)
    }

    /// SmolLM2 (its template has no tool format: Tern's generic one, `<tool_call>{…}</tool_call>`
    /// after a system-prompt section): required and named calls validate, greedy and sampled,
    /// streamed deltas assemble into the whole answer's calls; `auto` engages the grammar lazily
    /// once the model opens a call; `none` answers in text.
    func testSmolLM2GenericFormatRequiredNamedAutoAndNone() throws {
        let server = try TestServer()
        defer { server.stop() }
        let named = #"{"type": "function", "function": {"name": "get_weather"}}"#
        for (choice, allowed) in [(#""required""#, Set(["get_weather", "add"])), (named, Set(["get_weather"]))] {
            for (seed, temperature) in [(0, 0.0), (1, 1.0), (2, 1.0)] {
                let label = "smollm2 \(choice) seed \(seed) t \(temperature)"
                let whole = try server.post("/v1/chat/completions", body(choice, parallel: false, seed: seed, temperature: temperature))
                XCTAssertEqual(whole.json?["choices"]?.arrayValue?.first?["message"]?["content"], .null, whole.body)
                let (calls, reason) = try self.calls(whole, stream: false)
                XCTAssertEqual(calls.count, 1, label)
                XCTAssertEqual(reason, "tool_calls", label)
                for c in calls { try checkValid(c, allowed: allowed, label) }
                let (streamed, streamReason) = try self.calls(server.post("/v1/chat/completions", body(choice, parallel: false, stream: true,
                                                                                                       seed: seed, temperature: temperature)),
                                                              stream: true)
                XCTAssertEqual(streamed.map(\.name), calls.map(\.name), label)
                XCTAssertEqual(streamed.map(\.arguments), calls.map(\.arguments), label)
                XCTAssertEqual(streamReason, "tool_calls", label)
            }
        }
        // auto, after a turn where the assistant called a tool: the model opens a call itself,
        // and the grammar that engages then keeps it valid.
        let fewShot = #"{"messages": [{"role": "user", "content": "Weather in Rome?"}, {"role": "assistant", "content": null, "tool_calls": "#
            + #"[{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Rome\", \"unit\": \"celsius\"}"}}]},"#
            + #" {"role": "tool", "tool_call_id": "call_1", "content": "20 C"}, {"role": "assistant", "content": "It is 20 C in Rome."},"#
            + #" {"role": "user", "content": "Weather in Paris?"}], "tools": \#(Self.tools), "max_tokens": 120, "temperature": 0}"#
        let (auto, autoReason) = try calls(server.post("/v1/chat/completions", fewShot), stream: false)
        XCTAssertEqual(auto.count, 1, "auto")
        XCTAssertEqual(autoReason, "tool_calls")
        for c in auto { try checkValid(c, allowed: ["get_weather", "add"], "auto") }
        // none: text, no calls.
        let none = try server.post("/v1/chat/completions", body(#""none""#))
        XCTAssertEqual(none.status, 200, none.body)
        XCTAssertNil(none.json?["choices"]?.arrayValue?.first?["message"]?["tool_calls"], none.body)
        XCTAssertNotNil(none.json?["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue, none.body)
        XCTAssertEqual(try server.waitIdle()["tern:kv_cache_used_blocks"], 0)
    }
}
