import Grammar
import JSON
import XCTest

/// The options that bound what a schema leaves unbounded: arrays without maxItems, extra
/// properties, `$ref` recursion and free JSON nesting. Within the bounds everything the
/// schema allows is accepted; past them nothing is.
final class GrammarBoundsTests: XCTestCase {
    let bounded = JSONSchemaOptions(allowWhitespace: false, maxItems: 3, maxDepth: 2)

    func accepts(_ g: Grammar, _ text: String) -> Bool {
        var m = GrammarMatcher(grammar: g)
        return m.accept(bytes: Array(text.utf8)) && m.canEnd
    }

    func testArraysAndExtraPropertiesStopAtMaxItems() throws {
        let array = try Grammar(jsonSchema: ["type": "array", "items": ["type": "integer"]], options: bounded)
        XCTAssertTrue(accepts(array, "[1,2,3]"))
        XCTAssertFalse(accepts(array, "[1,2,3,4]"))
        let explicit = try Grammar(jsonSchema: ["type": "array", "items": ["type": "integer"], "maxItems": 5], options: bounded)
        XCTAssertTrue(accepts(explicit, "[1,2,3,4,5]"), "the schema's own maxItems wins")
        let atLeast = try Grammar(jsonSchema: ["type": "array", "minItems": 4], options: bounded)
        XCTAssertTrue(accepts(atLeast, "[1,2,3,4]"), "never below minItems")
        let extra = try Grammar(jsonSchema: ["type": "object", "properties": ["a": ["type": "integer"]],
                                             "additionalProperties": ["type": "integer"]], options: bounded)
        XCTAssertTrue(accepts(extra, #"{"a":1,"x":1,"y":2,"z":3}"#))
        XCTAssertFalse(accepts(extra, #"{"a":1,"w":0,"x":1,"y":2,"z":3}"#))
    }

    func testRecursionAndFreeJSONStopAtMaxDepth() throws {
        let tree: JSON = ["$defs": ["n": ["type": "object", "properties": ["c": ["type": "array", "items": ["$ref": "#/$defs/n"]]]]],
                          "$ref": "#/$defs/n"]
        let g = try Grammar(jsonSchema: tree, options: bounded)
        XCTAssertTrue(accepts(g, #"{"c":[{"c":[]}]}"#))
        XCTAssertFalse(accepts(g, #"{"c":[{"c":[{}]}]}"#), "a third level of the same definition")
        let unbounded = try Grammar(jsonSchema: tree, options: JSONSchemaOptions(allowWhitespace: false))
        XCTAssertTrue(accepts(unbounded, #"{"c":[{"c":[{"c":[{}]}]}]}"#))
        let free = Grammar.anyJSON(options: bounded)
        XCTAssertTrue(accepts(free, #"{"a":[1,{"b":2}]}"#) == false, "three levels of free JSON")
        XCTAssertTrue(accepts(free, #"{"a":[1,2]}"#))
    }
}
