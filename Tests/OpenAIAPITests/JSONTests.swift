import OpenAIAPI
import XCTest

final class JSONTests: XCTestCase {
    func testRoundTripKeepsOrderAndEscapes() throws {
        let text = #"{"b":1,"a":[true,false,null,-2.5,"x\ny\"\u00e9\ud83d\ude00"],"c":{}}"#
        let v = try JSONParser.parse(Array(text.utf8))
        XCTAssertEqual(v.serialized, #"{"b":1,"a":[true,false,null,-2.5,"x\ny\"é😀"],"c":{}}"#)
        XCTAssertEqual(v["b"], .number(1))
    }

    func testInvalidInputIsRejectedWithAnOffset() {
        let bad: [[UInt8]] = ["", "{", "{\"a\" 1}", "[1,]", "01", "1.", "\"\\x\"", "\"\\ud800\"", "{\"a\":1}x", "nul", "\"a\nb\""]
            .map { Array($0.utf8) } + [[0x22, 0xFF, 0x22], Array(repeating: UInt8(ascii: "["), count: 100)]
        for b in bad {
            XCTAssertThrowsError(try JSONParser.parse(b), String(decoding: b, as: UTF8.self))
        }
    }

    func testFloatsKeepTheirShortestDigits() {
        XCTAssertEqual(JSON.float(-0.35778722).serialized, "-0.35778722")
        XCTAssertEqual(JSON.int(3).serialized, "3")
        XCTAssertEqual(JSON.string("\u{1}").serialized, #""\u0001""#)
    }
}
