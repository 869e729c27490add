@testable import OpenAIAPI
import XCTest

/// Deltas of one choice queued together leave as one: texts joined in order, the logprobs of
/// both (a delta that held its text back reports none), the later finish reason.
final class ChoiceDeltaTests: XCTestCase {
    func testFollowingDeltasMerge() {
        let a = ChoiceDelta(index: 2, text: "Val", finishReason: nil, logprobs: 3 ..< 4)
        let held = ChoiceDelta(index: 2, text: "", finishReason: nil)  // bytes of a character not yet complete
        let b = ChoiceDelta(index: 2, text: "encia", finishReason: "stop", logprobs: 4 ..< 6)
        let merged = a.followed(by: held).followed(by: b)
        XCTAssertEqual(merged.index, 2)
        XCTAssertEqual(merged.text, "Valencia")
        XCTAssertEqual(merged.logprobs, 3 ..< 6)
        XCTAssertEqual(merged.finishReason, "stop")
        let late = held.followed(by: b)
        XCTAssertEqual(late.logprobs, 4 ..< 6)
        XCTAssertEqual(a.followed(by: held).logprobs, 3 ..< 4)
    }
}
