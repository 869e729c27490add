import JSON
@testable import OpenAIAPI
import XCTest

/// The Responses request read into chat's fields: input as a string or items (messages with
/// string or text-part content, function calls and their outputs), instructions before the
/// history of a previous response, flat tools and tool_choice, text.format, the echoed fields,
/// and a 400 naming the field for each kind of bad input.
final class ResponsesRequestTests: XCTestCase {
    private func parse(_ body: String) throws -> ResponsesRequest {
        try ResponsesRequest(RequestFields(Array(body.utf8)))
    }

    private func json(_ text: String) throws -> JSON { try JSONParser.parse(Array(text.utf8)) }

    private func echo(_ r: ResponsesRequest, _ key: String) -> JSON? { r.echo.last { $0.0 == key }?.1 }

    func testStringInputWithInstructionsBeforeTheHistory() throws {
        let r = try parse(#"{"model": "m", "input": "Hi", "instructions": "Be terse.", "max_output_tokens": 20, "temperature": 0.5}"#)
        XCTAssertEqual(r.messages, [try json(#"{"role": "user", "content": "Hi"}"#)])
        XCTAssertEqual(r.inputItems.count, 1)
        XCTAssertEqual(r.inputItems[0]["type"], .string("message"))
        XCTAssertTrue(r.inputItems[0]["id"]?.stringValue?.hasPrefix("msg_") ?? false)
        XCTAssertEqual(r.inputItems[0]["content"], try json(#"[{"type": "input_text", "text": "Hi"}]"#))
        let history = [try json(#"{"role": "user", "content": "Before"}"#), try json(#"{"role": "assistant", "content": "Yes"}"#)]
        let chat = r.chat(history: history)
        XCTAssertEqual(chat["messages"], .array([try json(#"{"role": "system", "content": "Be terse."}"#)] + history + r.messages))
        XCTAssertEqual(chat["max_tokens"], .int(20))
        XCTAssertEqual(chat["temperature"]?.doubleValue, 0.5)
        XCTAssertEqual(chat["stream"], .bool(false))
        XCTAssertTrue(r.store)
        XCTAssertNil(r.previousResponseID)
        XCTAssertEqual(echo(r, "instructions"), .string("Be terse."))
        XCTAssertEqual(echo(r, "max_output_tokens"), .int(20))
        XCTAssertEqual(echo(r, "text"), try json(#"{"format": {"type": "text"}}"#))
        XCTAssertEqual(echo(r, "tool_choice"), .string("auto"))
        XCTAssertEqual(echo(r, "tools"), .array([]))
        XCTAssertEqual(echo(r, "metadata"), .object([]))
    }

    func testItemsBecomeChatMessagesAndKeepTheirIDs() throws {
        let r = try parse(#"""
            {"model": "m", "store": false, "previous_response_id": "resp_1", "metadata": {"k": "v"}, "user": "u", "input": [
              {"role": "developer", "content": "Rules."},
              {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "a"}, {"type": "input_text", "text": "b"}]},
              {"type": "message", "id": "msg_given", "role": "assistant", "content": [{"type": "output_text", "text": "Let me look.", "annotations": []}]},
              {"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{\"x\": 1}"},
              {"type": "function_call", "call_id": "call_2", "name": "g", "arguments": "{}"},
              {"type": "function_call_output", "call_id": "call_1", "output": "42"},
              {"type": "function_call_output", "call_id": "call_2", "output": [{"type": "input_text", "text": "ok"}]}]}
            """#)
        XCTAssertEqual(r.messages, [
            try json(#"{"role": "system", "content": "Rules."}"#),
            try json(#"{"role": "user", "content": "a\nb"}"#),
            try json(#"""
                {"role": "assistant", "content": "Let me look.", "tool_calls": [
                  {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"x\": 1}"}},
                  {"id": "call_2", "type": "function", "function": {"name": "g", "arguments": "{}"}}]}
                """#),
            try json(#"{"role": "tool", "tool_call_id": "call_1", "content": "42"}"#),
            try json(#"{"role": "tool", "tool_call_id": "call_2", "content": "ok"}"#),
        ])
        XCTAssertEqual(r.inputItems.map { $0["type"]?.stringValue }, ["message", "message", "message", "function_call", "function_call",
                                                                      "function_call_output", "function_call_output"])
        XCTAssertEqual(r.inputItems[0]["role"], .string("developer"))
        XCTAssertEqual(r.inputItems[2]["id"], .string("msg_given"))
        XCTAssertEqual(r.inputItems[2]["content"]?.arrayValue?.first?["type"], .string("output_text"))
        XCTAssertEqual(r.inputItems[3]["call_id"], .string("call_1"))
        XCTAssertEqual(Set(r.inputItems.compactMap { $0["id"]?.stringValue }).count, 7, "every item has its own id")
        XCTAssertFalse(r.store)
        XCTAssertEqual(r.previousResponseID, "resp_1")
        XCTAssertEqual(echo(r, "metadata"), try json(#"{"k": "v"}"#))
        XCTAssertEqual(echo(r, "user"), .string("u"))
        // A function call with no assistant turn before it is an assistant turn of its own.
        let alone = try parse(#"{"model": "m", "input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}]}"#)
        XCTAssertEqual(alone.messages[0]["role"], .string("assistant"))
        XCTAssertEqual(alone.messages[0]["tool_calls"]?.arrayValue?.count, 1)
    }

    func testToolsToolChoiceAndTextFormatTakeTheirChatForms() throws {
        let r = try parse(#"""
            {"model": "m", "stream": true, "parallel_tool_calls": false, "input": "x",
             "tools": [{"type": "function", "name": "f", "description": "Does f.", "parameters": {"type": "object"}, "strict": false},
                       {"type": "function", "name": "g"}],
             "tool_choice": {"type": "function", "name": "g"},
             "text": {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"}, "strict": true}, "verbosity": "low"}}
            """#)
        let chat = r.chat(history: [])
        XCTAssertEqual(chat["tools"], try json(#"""
            [{"type": "function", "function": {"name": "f", "description": "Does f.", "parameters": {"type": "object"}}},
             {"type": "function", "function": {"name": "g"}}]
            """#))
        XCTAssertEqual(chat["tool_choice"], try json(#"{"type": "function", "function": {"name": "g"}}"#))
        XCTAssertEqual(chat["parallel_tool_calls"], .bool(false))
        XCTAssertEqual(chat["response_format"], try json(#"{"type": "json_schema", "json_schema": {"name": "out", "schema": {"type": "object"}, "strict": true}}"#))
        XCTAssertEqual(chat["stream"], .bool(true))
        XCTAssertTrue(r.stream)
        XCTAssertEqual(echo(r, "tools"), try json(#"""
            [{"type": "function", "name": "f", "description": "Does f.", "parameters": {"type": "object"}, "strict": false},
             {"type": "function", "name": "g", "description": null, "parameters": null, "strict": true}]
            """#))
        XCTAssertEqual(echo(r, "tool_choice"), try json(#"{"type": "function", "name": "g"}"#))
        XCTAssertEqual(echo(r, "text"), try json(#"""
            {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"}, "strict": true, "description": null}, "verbosity": "low"}
            """#))
        XCTAssertNil(try parse(#"{"model": "m", "input": "x", "text": {"format": {"type": "text"}}}"#).chat(history: [])["response_format"])
    }

    func testBadInputIsA400NamingTheField() throws {
        let cases: [(String, String)] = [
            (#""input": "x""#, "model"),
            (#""model": "m""#, "input"),
            (#""model": "m", "input": []"#, "input"),
            (#""model": "m", "input": 5"#, "input"),
            (#""model": "m", "input": ["x"]"#, "input[0]"),
            (#""model": "m", "input": [{"role": "robot", "content": "x"}]"#, "input[0].role"),
            (#""model": "m", "input": [{"content": "x"}]"#, "input[0].type"),
            (#""model": "m", "input": [{"type": "reasoning", "summary": []}]"#, "input[0].type"),
            (#""model": "m", "input": [{"role": "user", "content": 3}]"#, "input[0].content"),
            (#""model": "m", "input": [{"role": "user", "content": [{"type": "input_image", "image_url": "u"}]}]"#, "input[0].content[0]"),
            (#""model": "m", "input": [{"type": "function_call", "name": "f", "arguments": "{}"}]"#, "input[0].call_id"),
            (#""model": "m", "input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "[1]"}]"#, "input[0].arguments"),
            (#""model": "m", "input": [{"type": "function_call_output", "call_id": "c"}]"#, "input[0].output"),
            (#""model": "m", "input": "x", "max_output_tokens": 0"#, "max_output_tokens"),
            (#""model": "m", "input": "x", "temperature": 2.5"#, "temperature"),
            (#""model": "m", "input": "x", "top_p": 0"#, "top_p"),
            (#""model": "m", "input": "x", "instructions": 1"#, "instructions"),
            (#""model": "m", "input": "x", "tools": {}"#, "tools"),
            (#""model": "m", "input": "x", "tools": [{"type": "web_search"}]"#, "tools[0].type"),
            (#""model": "m", "input": "x", "tools": [{"type": "function"}]"#, "tools[0].name"),
            (#""model": "m", "input": "x", "tools": [{"type": "function", "name": "f", "strict": "yes"}]"#, "tools[0].strict"),
            (#""model": "m", "input": "x", "tool_choice": "sometimes""#, "tool_choice"),
            (#""model": "m", "input": "x", "text": {"format": {"type": "json_schema", "schema": {}}}"#, "text.format.name"),
            (#""model": "m", "input": "x", "text": {"format": {"type": "json_schema", "name": "n"}}"#, "text.format.schema"),
            (#""model": "m", "input": "x", "text": {"format": {"type": "yaml"}}"#, "text.format.type"),
            (#""model": "m", "input": "x", "text": {"verbosity": "loud"}"#, "text.verbosity"),
            (#""model": "m", "input": "x", "text": "json""#, "text"),
            (#""model": "m", "input": "x", "metadata": {"k": 1}"#, "metadata"),
            (#""model": "m", "input": "x", "store": "no""#, "store"),
            (#""model": "m", "input": "x", "stream": 1"#, "stream"),
            (#""model": "m", "input": "x", "parallel_tool_calls": "no""#, "parallel_tool_calls"),
            (#""model": "m", "input": "x", "previous_response_id": 7"#, "previous_response_id"),
            (#""model": "m", "input": "x", "user": 7"#, "user"),
            (#""model": "m", "input": "x", "truncation": "auto""#, "truncation"),
            (#""model": "m", "input": "x", "background": true"#, "background"),
            (#""model": "m", "input": "x", "conversation": "conv_1""#, "conversation"),
            (#""model": "m", "input": "x", "reasoning": {"effort": "high"}"#, "reasoning.effort"),
            (#""model": "m", "input": "x", "top_logprobs": 3"#, "top_logprobs"),
            (#""model": "m", "input": "x", "include": "all""#, "include"),
        ]
        for (fields, param) in cases {
            XCTAssertThrowsError(try parse("{\(fields)}"), fields) { error in
                let e = error as? APIError
                XCTAssertEqual(e?.status, 400, fields)
                XCTAssertEqual(e?.param, param, fields)
                XCTAssertEqual(e?.type, "invalid_request_error", fields)
            }
        }
    }

    func testChatErrorsAreRenamedToThisAPIsFields() {
        let renamed = ResponsesRequest.renamed(APIError.invalid("tools[1].function.parameters: bad", param: "tools[1].function.parameters"))
        XCTAssertEqual(renamed.param, "tools[1].parameters")
        XCTAssertEqual(renamed.message, "tools[1].parameters: bad")
        XCTAssertEqual(ResponsesRequest.renamed(APIError.invalid("x", param: "messages")).param, "input")
        let format = ResponsesRequest.renamed(APIError.invalid("'response_format' cannot be combined with tools", param: "response_format"))
        XCTAssertEqual(format.param, "text.format")
        XCTAssertEqual(format.message, "'text.format' cannot be combined with tools")
        let length = ResponsesRequest.renamed(APIError.invalid("Please reduce the prompt or max_tokens.", param: "max_tokens", code: "context_length_exceeded"))
        XCTAssertEqual(length.param, "max_output_tokens")
        XCTAssertEqual(length.code, "context_length_exceeded")
        XCTAssertTrue(length.message.hasSuffix("max_output_tokens."))
    }
}
