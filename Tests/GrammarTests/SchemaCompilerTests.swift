import Grammar
import JSON
import XCTest

/// Unsupported keywords name themselves and their JSON pointer; recursion through $ref.
final class SchemaCompilerTests: XCTestCase {
    func accepts(_ g: Grammar, _ s: String) -> Bool { GrammarMatcherTests.completes(g, Array(s.utf8)) }

    func assertUnsupported(_ schema: JSON, _ keyword: String, _ path: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Grammar(jsonSchema: schema), file: file, line: line) {
            XCTAssertEqual($0 as? GrammarError, .unsupportedKeyword(keyword: keyword, path: path), file: file, line: line)
        }
    }

    func testUnsupportedKeywordsAreNamed() {
        assertUnsupported(["type": "string", "foo": 1], "foo", "/foo")
        assertUnsupported(["type": "object", "properties": ["a": ["not": ["type": "null"]]]], "not", "/properties/a/not")
        assertUnsupported(["type": "array", "items": ["type": "integer"], "uniqueItems": true], "uniqueItems", "/uniqueItems")
        assertUnsupported(["type": "string", "format": "uri"], "format: uri", "/format")
        assertUnsupported(["type": "number", "minimum": 0], "minimum (on a non-integer number)", "/minimum")
        assertUnsupported(["$defs": ["x": ["type": "integer", "multipleOf": 3]], "$ref": "#/$defs/x"], "multipleOf", "/$defs/x/multipleOf")
        assertUnsupported(["allOf": [["type": "integer"], ["minimum": 1]]], "allOf", "/allOf")
        assertUnsupported(["anyOf": [["type": "integer"]], "minimum": 3], "minimum", "/minimum")
        assertUnsupported(["type": "string", "pattern": "a+", "maxLength": 3], "maxLength (with pattern)", "/maxLength")
        assertUnsupported(["type": "object", "properties": ["a/b": ["if": true]]], "if", "/properties/a~1b/if")
    }

    func testInvalidSchemas() {
        for bad: JSON in [false, ["type": "strings"], ["$ref": "#/$defs/missing"], ["$ref": "http://x/y"],
                          ["type": "integer", "minimum": 5, "maximum": 4], ["type": "string", "minLength": 3, "maxLength": 2],
                          ["enum": [1, 2], "type": "string"], ["required": ["a"], "additionalProperties": false, "properties": [:]]] {
            XCTAssertThrowsError(try Grammar(jsonSchema: bad), "\(bad)") {
                guard case .invalidSchema = $0 as? GrammarError else { return XCTFail("\(bad): \($0)") }
            }
        }
        XCTAssertThrowsError(try Grammar(jsonSchema: ["$ref": "#"])) { XCTAssertEqual($0 as? GrammarError, .empty("the grammar matches nothing")) }
        XCTAssertThrowsError(try Grammar(jsonSchema: ["anyOf": [["$ref": "#"], ["type": "null"]]])) {
            XCTAssertEqual($0 as? GrammarError, .leftRecursion("#"))
        }
    }

    func testRecursiveRef() throws {
        let g = try Grammar(jsonSchema: ["type": "object", "properties": [
            "name": ["type": "string"], "children": ["type": "array", "items": ["$ref": "#"]]], "required": ["name"]])
        XCTAssertTrue(accepts(g, #"{"name":"a","children":[{"name":"b","children":[{"name":"c"}]},{"name":"d"}]}"#))
        XCTAssertFalse(accepts(g, #"{"name":"a","children":[{"children":[]}]}"#))
    }

    func testAnnotationsIgnoredAndAnyJSON() throws {
        let g = try Grammar(jsonSchema: ["title": "T", "description": "d", "$schema": "x", "examples": [1], "default": 1, "$comment": "c", "type": "integer"])
        XCTAssertTrue(accepts(g, "-17"))
        let any = Grammar.anyJSON()
        XCTAssertTrue(accepts(any, #"[1, {"a": [true, null, "x"]}, -2.5e3]"#))
        XCTAssertFalse(accepts(any, "[1,]"))
        let object = Grammar.anyJSONObject()
        XCTAssertTrue(accepts(object, #"{"k": {"z": []}}"#))
        XCTAssertFalse(accepts(object, "[]"))
    }

    func testWhitespaceIsBounded() throws {
        let g = try Grammar(jsonSchema: ["type": "array", "items": ["type": "integer"]])
        XCTAssertTrue(accepts(g, "[\n  1,\n  2\n]"))
        XCTAssertTrue(accepts(g, "[1, 2]"))
        XCTAssertFalse(accepts(g, "[1 ,2]"), "no whitespace before a comma")
        XCTAssertFalse(accepts(g, "[1,  2]"), "one space at most")
        XCTAssertFalse(accepts(g, "[1,\n" + String(repeating: " ", count: 21) + "2]"), "indent bounded")
        let compact = try Grammar(jsonSchema: ["type": "array"], options: JSONSchemaOptions(allowWhitespace: false))
        XCTAssertFalse(accepts(compact, "[1, 2]"))
        XCTAssertTrue(accepts(compact, "[1,2]"))
    }
}
