import ChatTemplate
import Foundation
@testable import OpenAIAPI
import TestSupport
import XCTest

/// Tools through the API: an OpenAI-shaped conversation with calls and results renders as
/// Hugging Face renders it (golden.json) for templates with a tool format, and in Tern's
/// generic format for the others; bad tool fields are 400s naming them; with the tiny Qwen2
/// checkpoint (Hermes format, random weights) `required` and named choices give valid calls,
/// streamed or not, and `parallel_tool_calls: false` one.
final class ToolCallTests: XCTestCase {
    static let fixtures = ToolCallParserTests.templates

    /// golden.json's `tool_call_result` conversation as an OpenAI client sends it (arguments as a JSON string).
    static let conversation = #"""
    {"messages": [{"role": "system", "content": "Use tools when needed."}, {"role": "user", "content": "Weather in Paris?"},
      {"role": "assistant", "content": "", "tool_calls": [{"function": {"arguments": "{\"city\": \"Paris\"}", "name": "get_weather"},
       "id": "call12345", "type": "function"}]},
      {"role": "tool", "content": "{\"temperature\": \"18 C\", \"sky\": \"clear\"}", "tool_call_id": "call12345"},
      {"role": "assistant", "content": "It is 18 C and clear in Paris."}, {"role": "user", "content": "Thanks!"}],
     "tools": [{"function": {"description": "Current weather for a city.", "name": "get_weather", "parameters": {"properties":
       {"city": {"description": "City name", "type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"], "type": "string"}},
       "required": ["city"], "type": "object"}}, "type": "function"}]}
    """#

    private func render(_ template: String, _ body: String) throws -> String {
        let source = try String(contentsOf: Self.fixtures.appendingPathComponent(template), encoding: .utf8)
        let format = ToolFormat.detect(template: source)
        let fields = try RequestFields(Array(body.utf8))
        var variables = try ChatPrompt(fields, tools: try ToolRequest(fields, format: format), format: format).variables
        variables["add_generation_prompt"] = .bool(true)
        variables["bos_token"] = .string("<s>")
        variables["eos_token"] = .string("</s>")
        variables["strftime_now"] = ChatTemplate.fixedStrftime(year: 2026, month: 1, day: 15)  // as golden.json was made
        return try ChatTemplate(source).render(variables)
    }

    func testHistoryWithCallsAndResultsRendersAsHuggingFaceDoes() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("golden.json"))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        var checked = 0
        for c in cases where c["conversation"] as? String == "tool_call_result" && c["add_generation_prompt"] as? Bool == true {
            let name = try XCTUnwrap(c["template"] as? String)
            let source = try String(contentsOf: Self.fixtures.appendingPathComponent(name), encoding: .utf8)
            guard ToolFormat.detect(template: source).isNative, let expected = c["output"] as? String else { continue }
            XCTAssertEqual(try render(name, Self.conversation), expected, name)
            checked += 1
        }
        XCTAssertEqual(checked, 5, "qwen2.5, qwen3, llama-3.1, llama-3.2, mistral-nemo")
    }

    func testGenericFormatDescribesToolsAndWritesCallsAndResultsAsText() throws {
        for template in ["smollm2.jinja", "gemma-3.jinja"] {
            let text = try render(template, Self.conversation)
            XCTAssertTrue(text.contains("# Tools"), template)
            XCTAssertTrue(text.contains(#"{"name":"get_weather","description":"Current weather for a city.","parameters":{"#), template)
            XCTAssertTrue(text.contains(#"<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>"#), template)
            XCTAssertTrue(text.contains(#"Tool result for get_weather (id call12345): {"temperature": "18 C", "sky": "clear"}"#), template)
            XCTAssertFalse(text.contains("<|im_start|>tool"), template)
        }
        // Gemma's template refuses two user turns in a row: a user turn after a tool result joins it.
        let followUp = Self.conversation.replacingOccurrences(of: #"{"role": "assistant", "content": "It is 18 C and clear in Paris."}, "#, with: "")
        XCTAssertNotEqual(followUp, Self.conversation)
        let joined = try render("gemma-3.jinja", followUp)
        XCTAssertTrue(joined.contains(#"Tool result for get_weather (id call12345): {"temperature": "18 C", "sky": "clear"}"# + "\n\nThanks!"), joined)
        // tool_choice none: no tool section (calls are not read), the history still renders.
        let none = try render("smollm2.jinja", String(Self.conversation.dropLast()) + #", "tool_choice": "none"}"#)
        XCTAssertFalse(none.contains("# Tools"))
        XCTAssertTrue(none.contains("Tool result for get_weather"))
    }

    static var tinyQwen2: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/tiny-qwen2").standardized.path
    }

    func testBadToolFieldsAre400sNamingTheField() throws {
        try requireFile(Self.tinyQwen2 + "/model-00001-of-00002.safetensors")
        let server = try TestServer(model: Self.tinyQwen2)
        defer { server.stop() }
        let user = #""messages": [{"role": "user", "content": "hi"}]"#
        let tool = #"{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}}"#
        let cases: [(String, String)] = [
            (#"{\#(user), "tools": [{"type": "function", "function": {"name": "bad name"}}]}"#, "tools[0].function.name"),
            (#"{\#(user), "tools": [\#(tool), {"type": "function", "function": {"name": "g", "parameters": {"type": "array", "uniqueItems": true}}}], "tool_choice": "required"}"#,
             "tools[1].function.parameters"),
            (#"{\#(user), "tools": [\#(tool), \#(tool)]}"#, "tools[1].function.name"),
            (#"{\#(user), "tools": [\#(tool)], "tool_choice": {"type": "function", "function": {"name": "nope"}}}"#, "tool_choice"),
            (#"{\#(user), "tools": [\#(tool)], "tool_choice": "sometimes"}"#, "tool_choice"),
            (#"{\#(user), "tool_choice": "required"}"#, "tool_choice"),
            (#"{\#(user), "tools": [\#(tool)], "tool_choice": "required", "response_format": {"type": "json_object"}}"#, "response_format"),
            (#"{"messages": [{"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]}]}"#,
             "messages"),
            (#"{"messages": [{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{}"}}]}]}"#, "messages"),
            (#"{"messages": [{"role": "tool", "content": "42"}]}"#, "messages"),
        ]
        for (body, param) in cases {
            let r = try server.post("/v1/chat/completions", body)
            XCTAssertEqual(r.status, 400, body)
            XCTAssertEqual(r.json?["error"]?["param"]?.stringValue, param, r.body)
        }
        let e = try server.post("/v1/chat/completions", cases[1].0).json?["error"]?["message"]?.stringValue ?? ""
        XCTAssertTrue(e.contains("uniqueItems"), e)
    }
}
