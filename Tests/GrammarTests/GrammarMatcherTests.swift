import Grammar
import JSON
import XCTest

final class GrammarMatcherTests: XCTestCase {
    func accepts(_ g: Grammar, _ s: String) -> Bool {
        var m = GrammarMatcher(grammar: g)
        return m.accept(bytes: Array(s.utf8)) && m.canEnd
    }

    func testSchemaBasics() throws {
        let g = try Grammar(jsonSchema: ["type": "object", "properties": ["a": ["type": "integer"], "b": ["type": "string"]], "required": ["a"]])
        XCTAssertTrue(accepts(g, #"{"a":1}"#))
        XCTAssertTrue(accepts(g, #"{"a": -12, "b": "x\u00e9"}"#))
        XCTAssertFalse(accepts(g, #"{"b":"x"}"#))
        XCTAssertFalse(accepts(g, #"{"a":01}"#))
    }
}

extension GrammarMatcherTests {
    /// Whether `bytes` is a complete document of `g` (a fresh matcher, for cross-checks).
    static func completes(_ g: Grammar, _ bytes: [UInt8]) -> Bool {
        var m = GrammarMatcher(grammar: g)
        return m.accept(bytes: bytes) && m.canEnd
    }
}
