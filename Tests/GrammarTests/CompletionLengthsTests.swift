import Grammar
import JSON
import XCTest

/// `CompletionLengths` against the shortest completion found by searching every byte string.
final class CompletionLengthsTests: XCTestCase {
    /// The fewest bytes over `alphabet` after which `m` may end (breadth first, up to `limit`).
    static func shortestCompletion(_ m: GrammarMatcher, alphabet: [UInt8], limit: Int = 8) -> Int? {
        var level = [m]
        for n in 0 ... limit {
            if level.contains(where: \.canEnd) { return n }
            level = level.flatMap { s in alphabet.compactMap { b in
                var next = s
                next.discardHistory()
                return next.accept(bytes: [b]) ? next : nil
            } }
        }
        return nil
    }

    func lengths(_ g: Grammar, after prefix: String) -> Int {
        var m = GrammarMatcher(grammar: g)
        XCTAssertTrue(m.accept(bytes: Array(prefix.utf8)), prefix)
        return CompletionLengths(g).bytesToEnd(m)
    }

    func testRegexPositions() throws {
        let g = try Grammar(regex: "abc(de)*f?")
        XCTAssertEqual(lengths(g, after: ""), 3)
        XCTAssertEqual(lengths(g, after: "ab"), 1)
        XCTAssertEqual(lengths(g, after: "abc"), 0)
        XCTAssertEqual(lengths(g, after: "abcd"), 1, "inside the repeated group: its end first")
    }

    func testSchemaClosesOpenStructures() throws {
        let g = try Grammar(jsonSchema: ["type": "object", "properties": ["a": ["type": "integer"]], "required": ["a"],
                                         "additionalProperties": ["type": "array", "items": ["type": "string"]]])
        let minimal = lengths(g, after: "")
        XCTAssertTrue(GrammarMatcherTests.completes(g, Array(#"{"a":0}"#.utf8)) && minimal <= 7, "\(minimal)")
        // Deep inside an extra property's array of strings: close the string, the array, the object.
        XCTAssertEqual(lengths(g, after: #"{"a":1,"k":["x"#), 3)
        XCTAssertEqual(lengths(g, after: #"{"a":1,"k":["x","#), 4, "a comma needs one more string")
    }

    func testRecursiveGrammarMatchesSearch() throws {
        let g = try Grammar(gbnf: #"""
        root ::= "(" list ")"
        list ::= item ("," item)*
        item ::= "x" | root
        """#)
        let alphabet = Array("(),x".utf8)
        let lengths = CompletionLengths(g)
        // Every prefix of these documents, checked against the search.
        for doc in ["(x)", "((x),x)", "(((x)),(x,x))", "((((x))))"] {
            var m = GrammarMatcher(grammar: g)
            for b in Array(doc.utf8) {
                XCTAssertEqual(lengths.bytesToEnd(m), Self.shortestCompletion(m, alphabet: alphabet), "\(doc) at \(m.acceptedSteps)")
                XCTAssertTrue(m.accept(bytes: [b]))
            }
            XCTAssertEqual(lengths.bytesToEnd(m), 0)
        }
    }
}
