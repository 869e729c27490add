import Grammar
import JSON
import XCTest

/// GBNF and regex front ends, choices, schema errors, recursion, UTF-8 and matcher state.
final class GrammarParsingTests: XCTestCase {
    func accepts(_ g: Grammar, _ s: String) -> Bool { GrammarMatcherTests.completes(g, Array(s.utf8)) }

    func testGBNFArithmetic() throws {
        let g = try Grammar(gbnf: """
            # arithmetic
            root   ::= expr
            expr   ::= term (("+" | "-") term)*
            term   ::= factor (("*" | "/") factor)*
            factor ::= [0-9]+
                     | "(" expr ")"
            """)
        for ok in ["1", "1+2*(3-4)", "((7))", "12/3-0"] { XCTAssertTrue(accepts(g, ok), ok) }
        for bad in ["", "1+", "(1", "1++2", "a"] { XCTAssertFalse(accepts(g, bad), bad) }
    }

    func testGBNFLiteralsClassesQuantifiers() throws {
        let g = try Grammar(gbnf: #"root ::= "a"{2,3} [^x-z]? "\x41\u00e9\n" . "t"{2,} [\]\-]"#)
        XCTAssertTrue(accepts(g, "aaqAé\n日tt]"))
        XCTAssertTrue(accepts(g, "aaAé\n.ttt-"))
        XCTAssertFalse(accepts(g, "aAé\n.tt]"), "too few a")
        XCTAssertFalse(accepts(g, "aaaaaAé\n.tt]"), "too many a")
        XCTAssertFalse(accepts(g, "aayAé\n.tt]"), "negated class")
        XCTAssertFalse(accepts(g, "aaAé\n.t]"), "{2,}")
    }

    func testGBNFErrorsCarryPositions() {
        XCTAssertThrowsError(try Grammar(gbnf: "root \"a\"")) {
            XCTAssertEqual($0 as? GrammarError, .gbnfSyntax(message: "expected '::=' after rule name 'root'", line: 1, column: 6))
        }
        XCTAssertThrowsError(try Grammar(gbnf: "root ::= \"a\"\n  x ::= \"b\" }")) {
            XCTAssertEqual($0 as? GrammarError, .gbnfSyntax(message: "unexpected '}'", line: 2, column: 13))
        }
        XCTAssertThrowsError(try Grammar(gbnf: "root ::= \"abc")) {
            XCTAssertEqual($0 as? GrammarError, .gbnfSyntax(message: "unterminated string literal", line: 1, column: 14))
        }
        XCTAssertThrowsError(try Grammar(gbnf: "root ::= [a-z") ) { guard case .gbnfSyntax = $0 as? GrammarError else { return XCTFail("\($0)") } }
        XCTAssertThrowsError(try Grammar(gbnf: "root ::= foo")) { XCTAssertEqual($0 as? GrammarError, .undefinedRule("foo")) }
        XCTAssertThrowsError(try Grammar(gbnf: "start ::= \"a\"")) { XCTAssertEqual($0 as? GrammarError, .undefinedRule("root")) }
        XCTAssertThrowsError(try Grammar(gbnf: "root ::= root \"a\" | \"a\"")) { XCTAssertEqual($0 as? GrammarError, .leftRecursion("root")) }
        XCTAssertThrowsError(try Grammar(gbnf: "root ::= x* \"a\"\nx ::= \"b\"?")) { guard case .leftRecursion = $0 as? GrammarError else { return XCTFail("\($0)") } }
        XCTAssertThrowsError(try Grammar(gbnf: "root ::= \"a\"\nroot ::= \"b\"")) { guard case .gbnfSyntax = $0 as? GrammarError else { return XCTFail("\($0)") } }
    }

    func testRegexSubset() throws {
        let g = try Grammar(regex: #"^\d{3}-[a-z]+(\.(com|org))?$"#)
        for ok in ["123-abc", "000-x.com", "999-zz.org"] { XCTAssertTrue(accepts(g, ok), ok) }
        for bad in ["12-abc", "123-", "123-ab.net", "123-AB"] { XCTAssertFalse(accepts(g, bad), bad) }
        let h = try Grammar(regex: #"(ab|c)*?d+[^"\\]\w\s.x{2}"#)
        XCTAssertTrue(accepts(h, "abcabddé_ 日xx"))
        XCTAssertFalse(accepts(h, "abcabdd\"_ 日xx"))
        XCTAssertFalse(accepts(h, "dda_\n\nxx"), ". does not match a newline")
        for unsupported in [#"\bword"#, "a(?=b)", #"(a)\1"#, "a^b", "a$b", "(ab", "a{3,2}", "*a"] {
            XCTAssertThrowsError(try Grammar(regex: unsupported), unsupported) {
                guard case .regexSyntax = $0 as? GrammarError else { return XCTFail("\(unsupported): \($0)") }
            }
        }
    }

    func testChoices() throws {
        let g = try Grammar(choices: ["yes", "no", "maybe", "日本"])
        XCTAssertTrue(accepts(g, "no"))
        XCTAssertTrue(accepts(g, "日本"))
        XCTAssertFalse(accepts(g, "n"))
        var m = GrammarMatcher(grammar: g)
        XCTAssertTrue(m.accept(bytes: Array("ye".utf8)))
        XCTAssertFalse(m.canEnd)
        XCTAssertFalse(m.isDone)
        XCTAssertTrue(m.accept(bytes: Array("s".utf8)))
        XCTAssertTrue(m.canEnd && m.isDone)
        XCTAssertThrowsError(try Grammar(choices: []))
    }

    func testUTF8ByteByByte() throws {
        let g = try Grammar(gbnf: "root ::= [α-ω]+ [^a-z]")
        let bytes = Array("αβω😀".utf8)
        var m = GrammarMatcher(grammar: g)
        for b in bytes.dropLast() { XCTAssertTrue(m.accept(bytes: [b])) }
        XCTAssertFalse(m.canEnd, "inside a 4-byte character")
        var wrong = m
        XCTAssertFalse(wrong.accept(bytes: [0x41]), "not a continuation byte")
        XCTAssertTrue(m.accept(bytes: [bytes[bytes.count - 1]]))
        XCTAssertTrue(m.canEnd)
        XCTAssertFalse(accepts(g, "αa"))
        XCTAssertFalse(GrammarMatcherTests.completes(g, [0xCE, 0xB1, 0xED, 0xA0, 0x80]), "a surrogate is not UTF-8")
    }

    func testRollbackAndRebuild() throws {
        let g = try Grammar(jsonSchema: ["type": "object", "properties": ["a": ["type": "integer"]], "required": ["a"]])
        var m = GrammarMatcher(grammar: g)
        XCTAssertTrue(m.accept(bytes: Array(#"{"a":"#.utf8)))
        let before = m
        XCTAssertTrue(m.accept(bytes: Array("12}".utf8)))
        XCTAssertTrue(m.canEnd && m.isDone)
        XCTAssertFalse(m.accept(bytes: Array(" ".utf8)), "nothing after the top-level value")
        m.rollback()
        XCTAssertFalse(m.canEnd)
        XCTAssertEqual(m.acceptedSteps, before.acceptedSteps)
        XCTAssertFalse(m.accept(bytes: Array("x".utf8)))
        XCTAssertTrue(m.accept(bytes: Array("3}".utf8)))
        m.reset()
        XCTAssertEqual(m.acceptedSteps, 0)
        XCTAssertTrue(m.accept(bytes: Array(#"{"a": 5}"#.utf8)) && m.canEnd)
    }
}
