import Grammar
import JSON
import XCTest

/// Framed JSON values (tool-call syntax): the frame is enforced verbatim, the values by
/// their schema, the count by its bounds.
final class GrammarFramingTests: XCTestCase {
    func accepts(_ g: Grammar, _ text: String) -> Bool {
        var m = GrammarMatcher(grammar: g)
        return m.accept(bytes: Array(text.utf8)) && m.canEnd
    }

    func testHermesStyleCallsWithBoundsAndSchema() throws {
        let schema: JSON = ["type": "object", "properties": ["name": ["const": "f"], "arguments": ["type": "object",
                            "properties": ["x": ["type": "integer"]], "required": ["x"]]], "required": ["name", "arguments"]]
        let g = try Grammar(framing: schema, open: "<tool_call>\n", close: "\n</tool_call>", separator: "\n", maxCount: 2)
        let call = #"<tool_call>\#n{"name": "f", "arguments": {"x": 3}}\#n</tool_call>"#
        XCTAssertTrue(accepts(g, call))
        XCTAssertTrue(accepts(g, call + "\n" + call))
        XCTAssertFalse(accepts(g, call + "\n" + call + "\n" + call), "more calls than maxCount")
        XCTAssertFalse(accepts(g, #"<tool_call>\#n{"name": "g", "arguments": {"x": 3}}\#n</tool_call>"#), "name outside the schema")
        XCTAssertFalse(accepts(g, #"<tool_call>\#n{"name": "f", "arguments": {"x": "3"}}\#n</tool_call>"#), "argument of the wrong type")
        XCTAssertFalse(accepts(g, #"{"name": "f", "arguments": {"x": 3}}"#), "frame missing")
        var m = GrammarMatcher(grammar: g)
        XCTAssertTrue(m.accept(bytes: Array(call.utf8)))
        XCTAssertTrue(m.canEnd)
        XCTAssertFalse(m.isDone, "a second call may follow")
    }

    func testPrefixSuffixAndUnboundedCount() throws {
        let g = try Grammar(framing: ["type": "integer"], prefix: "[CALLS][", separator: ", ", suffix: "]", maxCount: nil)
        XCTAssertTrue(accepts(g, "[CALLS][1]"))
        XCTAssertTrue(accepts(g, "[CALLS][1, 2, 3, 4, 5]"))
        XCTAssertFalse(accepts(g, "[CALLS][]"))
        XCTAssertThrowsError(try Grammar(framing: ["type": "integer"], minCount: 2, maxCount: 1))
    }
}
