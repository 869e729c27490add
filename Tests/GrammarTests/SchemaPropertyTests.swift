import Foundation
import Grammar
import JSON
import XCTest

/// Schema → grammar → accept/reject on documents labelled by the `jsonschema` package
/// (fixture from scripts/golden/make_grammar_golden.py).
final class SchemaPropertyTests: XCTestCase {
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/grammar")
    }

    static func loadCases() throws -> [(name: String, schema: JSON, cases: [(text: String, valid: Bool)])] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("schema-cases.json"))
        let root = try JSONParser.parse(data)
        return (root["schemas"]?.arrayValue ?? []).map { s in
            let cases = (s["cases"]?.arrayValue ?? []).map { ($0["text"]?.stringValue ?? "", $0["valid"]?.boolValue ?? false) }
            return (s["name"]?.stringValue ?? "?", s["schema"] ?? .null, cases)
        }
    }

    static func accepts(_ g: Grammar, _ text: String) -> Bool {
        var m = GrammarMatcher(grammar: g)
        return m.accept(bytes: Array(text.utf8)) && m.canEnd
    }

    func testGrammarAcceptsExactlyTheValidDocuments() throws {
        let schemas = try Self.loadCases()
        XCTAssertGreaterThanOrEqual(schemas.count, 20)
        var total = 0, wrong: [String] = []
        for s in schemas {
            let g: Grammar
            do { g = try Grammar(jsonSchema: s.schema) } catch {
                XCTFail("\(s.name): \(error)")
                continue
            }
            for c in s.cases {
                total += 1
                if Self.accepts(g, c.text) != c.valid {
                    wrong.append("\(s.name): \(c.valid ? "rejected valid" : "accepted invalid") \(c.text.debugDescription)")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(total, 1000)
        XCTAssertTrue(wrong.isEmpty, "\(wrong.count) of \(total) wrong:\n" + wrong.prefix(30).joined(separator: "\n"))
    }
}
