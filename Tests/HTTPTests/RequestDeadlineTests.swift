import HTTP
import XCTest

/// Deadlines count from a request's first byte; traffic never moves the head's deadline, and
/// the body's moves only by the bytes it brings at the minimum rate.
final class RequestDeadlineTests: XCTestCase {
    func testHeadDeadlineIgnoresTrafficAndBodyDeadlineGrowsWithBytes() {
        var d = RequestDeadline(headerTimeout: 10, bodyTimeout: 20, bodyMinRate: 500)
        XCTAssertNil(d.deadline, "no deadline before the first byte")
        d.received(1, at: 100, readingBody: false)
        for t in 1 ... 99 { d.received(1, at: 100 + Double(t) * 0.1, readingBody: false) }
        XCTAssertEqual(d.deadline, 110, "dripping bytes moved the head's deadline")
        d.headComplete(at: 105)
        XCTAssertEqual(d.deadline, 125)
        d.received(1000, at: 106, readingBody: true)
        XCTAssertEqual(d.deadline, 127, "1000 body bytes at 500 B/s earn 2 s")
        d.reset()
        XCTAssertNil(d.deadline)
        d.received(5, at: 200, readingBody: false)
        XCTAssertEqual(d.deadline, 210)
    }
}
