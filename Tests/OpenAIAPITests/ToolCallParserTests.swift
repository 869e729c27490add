@testable import OpenAIAPI
import XCTest

/// Tool-call syntax per family: detection from each fixture template, and the parser's
/// split of text and calls, the same whether the output arrives whole or in pieces.
final class ToolCallParserTests: XCTestCase {
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/chat-templates").standardized

    func testFormatIsDetectedFromEachFixtureTemplate() throws {
        let expected: [String: ToolFormat.Family] = [
            "qwen2.5": .hermes, "qwen3": .hermes, "llama-3.1": .llama3, "llama-3.2": .llama3, "mistral-nemo": .mistral,
            "smollm2": .generic, "smollm3": .generic, "gemma-3": .generic, "gemma-2": .generic, "phi-3.5": .generic,
            "phi-4-mini": .generic, "granite-3.3": .generic, "deepseek-r1-distill": .generic,
        ]
        for (name, family) in expected {
            let source = try String(contentsOf: Self.templates.appendingPathComponent(name + ".jinja"), encoding: .utf8)
            XCTAssertEqual(ToolFormat.detect(template: source).family, family, name)
        }
        XCTAssertEqual(ToolFormat.detect(template: nil).family, .generic)
    }

    struct Parsed: Equatable {
        var content = ""
        var calls: [[String]] = []  // [name, arguments]
    }

    /// `text` through a parser in pieces of `sizes` (cycled), checking each call's name comes before its arguments.
    private func parse(_ family: ToolFormat.Family, _ text: String, sizes: [Int] = [Int.max]) -> Parsed {
        var parser = ToolCallParser(format: ToolFormat(family: family))
        var events: [ToolEvent] = []
        var rest = Substring(text), k = 0
        while !rest.isEmpty {
            let n = min(sizes[k % sizes.count], rest.count)
            events += parser.push(String(rest.prefix(n)))
            rest = rest.dropFirst(n)
            k += 1
        }
        events += parser.finish()
        var out = Parsed()
        var ids = Set<String>()
        for e in events {
            switch e {
            case .content(let s): out.content += s
            case .begin(let i, let id, let name):
                XCTAssertEqual(i, out.calls.count)
                XCTAssertTrue(ids.insert(id).inserted, "ids are unique")
                XCTAssertEqual(id.count, family == .mistral ? 9 : 29)
                out.calls.append([name, ""])
            case .arguments(let i, let piece):
                XCTAssertLessThan(i, out.calls.count, "arguments after their call's name")
                out.calls[i][1] += piece
            }
        }
        return out
    }

    /// Whole, one character at a time, and in uneven pieces: the same split.
    private func check(_ family: ToolFormat.Family, _ text: String, _ expected: Parsed, file: StaticString = #filePath, line: UInt = #line) {
        for sizes in [[Int.max], [1], [2, 5, 1, 7, 3]] {
            XCTAssertEqual(parse(family, text, sizes: sizes), expected, "\(family) \(sizes)", file: file, line: line)
        }
    }

    func testEachFamilysCallsAreSplitFromText() {
        let args = #"{"city": "Paris", "q": "a \"}\" {[", "n": [1, {"b": null}], "t": true}"#
        check(.hermes, "Let me look.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": \(args)}\n</tool_call>\n<tool_call>\n"
              + #"{"name": "f", "arguments": {}}"# + "\n</tool_call>",
              Parsed(content: "Let me look.\n", calls: [["get_weather", args], ["f", "{}"]]))
        check(.generic, #"<tool_call>{"name":"a_b-1","arguments":{"x":1.5e3}}</tool_call><tool_call>{"arguments":{"y":-2},"name":"c"}</tool_call>"#,
              Parsed(calls: [["a_b-1", #"{"x":1.5e3}"#], ["c", #"{"y":-2}"#]]))
        check(.generic, "Sure.\n<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>\n<tool_call>{\"name\": \"g\", \"arguments\": {\"a\": 1}}</tool_call>\n",
              Parsed(content: "Sure.\n", calls: [["f", "{}"], ["g", #"{"a": 1}"#]]))
        check(.mistral, "  [{\"name\": \"f\", \"arguments\": \(args), \"id\": \"abcdefghi\"}, {\"name\": \"g\"}]",
              Parsed(calls: [["f", args], ["g", "{}"]]))
        check(.llama3, "{\"name\": \"search\", \"parameters\": {\"query\": \"tern\"}}",
              Parsed(calls: [["search", #"{"query": "tern"}"#]]))
    }

    func testTextThatIsNotACallStaysText() {
        for text in ["a < b and <tool_cal", "x <tool_call> not json", "<tool_call>{\"name\": 5}</tool_call>", "plain {\"name\": \"f\"}",
                     "  spaced\n"] {
            check(.hermes, text, Parsed(content: text))
        }
        check(.llama3, "Hello {\"name\": \"f\"}", Parsed(content: "Hello {\"name\": \"f\"}"))
        check(.mistral, "[1, 2]", Parsed(content: "[1, 2]"))
        // A whole call, then text where the closing should be: the call stands, the text is content.
        check(.hermes, "<tool_call>{\"name\": \"f\", \"arguments\": {}} oops", Parsed(content: " oops", calls: [["f", "{}"]]))
    }

    func testAnUnfinishedCallKeepsWhatCame() {
        // Cut by the length limit inside the arguments: the call stays with the text so far (the finish says "length").
        check(.hermes, "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": \"b", Parsed(calls: [["f", #"{"a": "b"#]]))
        // Cut before the name: no call, the text is content.
        check(.hermes, "<tool_call>\n{\"na", Parsed(content: "<tool_call>\n{\"na"))
    }
}
