import Foundation
import JSON
import XCTest

final class JSONTests: XCTestCase {
    func parse(_ text: String) throws -> JSON { try JSONParser.parse(Array(text.utf8)) }

    /// The failure a document gives, as (offset, reason).
    func failure(_ bytes: [UInt8], maxDepth: Int = 64) -> JSONParser.Failure? {
        do {
            _ = try JSONParser.parse(bytes, maxDepth: maxDepth)
            return nil
        } catch {
            return error as? JSONParser.Failure
        }
    }

    func testRoundTripKeepsOrderAndEscapes() throws {
        let text = #"{"b":1,"a":[true,false,null,-2.5,"x\ny\"\u00e9\ud83d\ude00"],"c":{}}"#
        let v = try parse(text)
        XCTAssertEqual(v.serialized, #"{"b":1,"a":[true,false,null,-2.5,"x\ny\"é😀"],"c":{}}"#)
        XCTAssertEqual(v["b"], 1)
        XCTAssertEqual(try parse(v.serialized), v)
    }

    func testIntegersAreExact() throws {
        XCTAssertEqual(try parse("9007199254740993"), .number(.integer(9_007_199_254_740_993)))  // 2^53 + 1
        XCTAssertEqual(try parse("9223372036854775807").intValue, Int.max)
        XCTAssertEqual(try parse("-9223372036854775808").intValue, Int.min)
        XCTAssertEqual(try parse("-0"), .number(.integer(0)))
        XCTAssertEqual(try parse("[0, 12, -7]").intArrayValue, [0, 12, -7])
        // Beyond 64 bits an integer is a Double, and no longer an exact integer.
        XCTAssertEqual(try parse("9223372036854775808"), .number(.double(9_223_372_036_854_775_808)))
        XCTAssertNil(try parse("9223372036854775808").intValue)
        XCTAssertNil(try parse("[1, 2.5]").intArrayValue)
        XCTAssertEqual(JSON.int(Int.max).serialized, "9223372036854775807")
    }

    func testFractionsAndExponents() throws {
        XCTAssertEqual(try parse("1.5"), .number(.double(1.5)))
        XCTAssertEqual(try parse("-1.25e+2").doubleValue, -125)
        XCTAssertEqual(try parse("1E-2").doubleValue, 0.01)
        XCTAssertEqual(try parse("1e3").intValue, 1000)  // integral and exact: an integer
        XCTAssertEqual(try parse("2.0").intValue, 2)
        XCTAssertNil(try parse("2.5").intValue)
        XCTAssertNil(try parse("1e300").intValue)
        XCTAssertEqual(try parse("2.0"), try parse("2"))  // equal however written
        XCTAssertEqual(try parse("1.0").serialized, "1")
        XCTAssertEqual(failure(Array("1e400".utf8)), .init(offset: 0, reason: "number out of range"))
    }

    func testUnicode() throws {
        XCTAssertEqual(try parse(#""\u00e9\uD83D\uDE00\u0000/\/""#), .string("é😀\u{0}//"))
        XCTAssertEqual(try parse("\"é😀 中\""), .string("é😀 中"))
        XCTAssertEqual(try parse(#"{"\u00e9": "x"}"#)["é"], "x")
        // Keys are compared as written: canonically equivalent spellings stay apart.
        let keys = try parse(#"{"\u09df": 1, "\u09af\u09bc": 2}"#).objectValue?.map { Array($0.0.unicodeScalars) }
        XCTAssertEqual(keys, [["\u{9df}"], ["\u{9af}", "\u{9bc}"]])
        XCTAssertEqual(failure(Array(#""\ud800""#.utf8)), .init(offset: 7, reason: "lone surrogate in \\u escape"))
        XCTAssertEqual(failure(Array(#""\udc00""#.utf8)), .init(offset: 7, reason: "lone surrogate in \\u escape"))
        XCTAssertEqual(failure(Array(#""\ud800\u0041""#.utf8)), .init(offset: 13, reason: "bad surrogate pair"))
        XCTAssertEqual(failure(Array(#""\u12g4""#.utf8)), .init(offset: 5, reason: "bad \\u escape"))
        XCTAssertEqual(failure([0x22, 0x61, 0xC3, 0xA9, 0xFF, 0x22]), .init(offset: 4, reason: "invalid UTF-8 in a string"))
        XCTAssertEqual(failure([0x22, 0x5C, 0x6E, 0xED, 0xA0, 0x80, 0x22]), .init(offset: 3, reason: "invalid UTF-8 in a string"))
        XCTAssertEqual(failure([0x5B, 0xFF, 0x5D]), .init(offset: 1, reason: "unexpected character"))
    }

    func testInvalidInputIsRejectedWithAnOffset() {
        let cases: [(String, Int, String)] = [
            ("", 0, "unexpected end of input"), ("{", 1, "unexpected end of input"), (#"{"a" 1}"#, 5, "expected ':'"),
            ("[1,]", 3, "unexpected character"), ("[1 2]", 3, "expected ',' or ']'"), (#"{"a":1,}"#, 7, "expected a string key"),
            ("01", 0, "leading zero in a number"), ("-", 1, "unexpected end of input"), ("-a", 1, "digits expected"),
            ("1.", 2, "unexpected end of input"), ("1.e3", 2, "digits expected after '.'"), ("1e+", 3, "unexpected end of input"),
            (#""\x""#, 2, "bad escape"), (#"{"a":1}x"#, 7, "unexpected data after the value"), ("nul", 3, "unexpected end of input"),
            ("nulx", 3, "unexpected character"), ("\"a\nb\"", 2, "control character in a string"), (#""abc"#, 4, "unexpected end of input"),
            ("+1", 0, "unexpected character"), ("'a'", 0, "unexpected character"),
        ]
        for (text, offset, reason) in cases {
            XCTAssertEqual(failure(Array(text.utf8)), .init(offset: offset, reason: reason), text)
        }
        XCTAssertEqual("\(JSONParser.Failure(offset: 3, reason: "x"))", "invalid JSON at byte 3: x")
    }

    func testNestingIsBounded() throws {
        let deep = { (n: Int) in Array(repeating: UInt8(ascii: "["), count: n) + Array(repeating: UInt8(ascii: "]"), count: n) }
        XCTAssertNotNil(try JSONParser.parse(deep(64)))
        XCTAssertEqual(failure(deep(65)), .init(offset: 64, reason: "nesting deeper than 64"))
        XCTAssertEqual(failure(Array(#"{"a":{"b":[]}}"#.utf8), maxDepth: 2), .init(offset: 10, reason: "nesting deeper than 2"))
        XCTAssertEqual(failure(Array(repeating: UInt8(ascii: "["), count: 100_000)), .init(offset: 64, reason: "nesting deeper than 64"))
    }

    func testObjectsKeepOrderAndDuplicates() throws {
        let v = try parse(#" { "z" : 1 , "a" : 2 , "z" : 3 } "#)
        XCTAssertEqual(v.objectValue?.map(\.0), ["z", "a", "z"])
        XCTAssertEqual(v["z"], 3)  // the last one
        XCTAssertNil(v["missing"])
        XCTAssertNil(JSON.array([])["z"])
        XCTAssertEqual(v, ["z": 1, "a": 2, "z": 3])
        XCTAssertNotEqual(v, ["a": 2, "z": 1, "z": 3])
    }

    func testParsesDataAndRawBuffers() throws {
        let text = #"{"tensor": {"data_offsets": [0, 9007199254740993]}}"#
        let fromData = try JSONParser.parse(Data(text.utf8))
        let fromBuffer = try Array(text.utf8).withUnsafeBytes { try JSONParser.parse($0) }
        XCTAssertEqual(fromData, fromBuffer)
        XCTAssertEqual(fromData["tensor"]?["data_offsets"]?.intArrayValue, [0, 9_007_199_254_740_993])
    }

    func testSerialization() {
        XCTAssertEqual(JSON.float(-0.35778722).serialized, "-0.35778722")
        XCTAssertEqual(JSON.int(3).serialized, "3")
        XCTAssertEqual(JSON.string("\u{1}\u{2028}\t").serialized, #""\u0001\u2028\t""#)
        XCTAssertEqual(JSON.number(.double(.infinity)).serialized, "null")
        XCTAssertEqual(JSON.number(.double(1e20)).serialized, "1e+20")
        XCTAssertEqual((["a": [1, 2.5, "x", true, .null]] as JSON).serialized, #"{"a":[1,2.5,"x",true,null]}"#)
    }
}
