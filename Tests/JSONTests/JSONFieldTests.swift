import JSON
import XCTest

/// The path-carrying reader: errors name the field that is missing or of the wrong kind.
final class JSONFieldTests: XCTestCase {
    let doc = JSONField(["model": ["vocab": ["a": 0, "b c": "1"], "merges": ["a b", ["a", 2]], "dropout": .null],
                         "flag": true, "eps": 1e-6, "n": 3], name: "tokenizer.json")

    func error(_ read: () throws -> Any) -> JSONFieldError? {
        do {
            _ = try read()
            return nil
        } catch {
            return error as? JSONFieldError
        }
    }

    func testReadsValues() throws {
        XCTAssertEqual(try doc["n"].int(), 3)
        XCTAssertEqual(try doc["n"].double(), 3)
        XCTAssertEqual(try doc["eps"].double(), 1e-6)
        XCTAssertEqual(try doc["flag"].bool(default: false), true)
        XCTAssertEqual(try doc["absent"].bool(default: true), true)
        XCTAssertEqual(try doc["absent"].optionalInt(), nil)
        XCTAssertEqual(try doc["model"]["dropout"].double(default: 0.5), 0.5)
        XCTAssertEqual(try doc["model"]["merges"].array()[0].string(), "a b")
        XCTAssertEqual(try doc["model"]["vocab"].entries().map(\.key), ["a", "b c"])
    }

    func testErrorsNameThePath() throws {
        XCTAssertEqual(error { try self.doc["model"]["merges"].array()[1].string() },
                       .wrongType("tokenizer.json.model.merges[1]", expected: "a string"))
        XCTAssertEqual(error { try self.doc["model"]["merges"].array()[1].array()[1].string() },
                       .wrongType("tokenizer.json.model.merges[1][1]", expected: "a string"))
        XCTAssertEqual(error { try self.doc["model"]["vocab"].entries()[1].value.int() },
                       .wrongType("tokenizer.json.model.vocab[\"b c\"]", expected: "an integer"))
        XCTAssertEqual(error { try self.doc["model"]["type"].string() }, .missing("tokenizer.json.model.type"))
        XCTAssertEqual(error { try self.doc["model"]["dropout"].double() }, .missing("tokenizer.json.model.dropout"))
        XCTAssertEqual(error { try self.doc["eps"].int() }, .wrongType("tokenizer.json.eps", expected: "an integer"))
        XCTAssertEqual(error { try self.doc["flag"].entries() }, .wrongType("tokenizer.json.flag", expected: "an object"))
        XCTAssertEqual(error { try self.doc["n"].bool(default: false) }, .wrongType("tokenizer.json.n", expected: "a boolean"))
        XCTAssertEqual(error { try self.doc["n"]["x"].int() }, .missing("tokenizer.json.n.x"))
        XCTAssertEqual("\(JSONFieldError.wrongType("a.b", expected: "an array"))", "a.b is not an array")
        XCTAssertEqual("\(JSONFieldError.missing("a.b"))", "a.b is missing")
    }

    func testParseFailureNamesTheFile() {
        XCTAssertEqual(error { try JSONField(parsing: Array("{\"model\": ".utf8), name: "tokenizer.json") },
                       .notJSON("tokenizer.json", .init(offset: 10, reason: "unexpected end of input")))
        XCTAssertEqual(error { try JSONField(parsing: Array("{}".utf8), name: "config.json")["x"].int() }, .missing("config.json.x"))
    }
}
