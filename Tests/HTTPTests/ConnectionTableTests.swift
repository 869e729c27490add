import HTTP
import XCTest

/// A full table evicts the connection waiting longest without a whole request, never one answering.
final class ConnectionTableTests: XCTestCase {
    func testEvictsTheOldestWaitingConnectionNeverABusyOne() throws {
        var t = ConnectionTable(capacity: 3)
        let a = try XCTUnwrap(t.admit(10, now: 1)), b = try XCTUnwrap(t.admit(11, now: 2)), c = try XCTUnwrap(t.admit(12, now: 3))
        XCTAssertNil(a.evicted)
        XCTAssertTrue(t.markBusy(10, id: a.id))
        let d = try XCTUnwrap(t.admit(13, now: 4))
        XCTAssertEqual(d.evicted, 11, "the oldest waiting connection goes first")
        XCTAssertFalse(t.markBusy(11, id: b.id), "an evicted connection cannot start answering")
        t.markWaiting(10, id: a.id, now: 5)  // answered: waits again, now the newest
        XCTAssertEqual(t.admit(14, now: 6)?.evicted, 12)
        XCTAssertEqual(t.admit(15, now: 7)?.evicted, 13)
        XCTAssertTrue(t.markBusy(10, id: a.id))
        XCTAssertTrue(t.markBusy(14, id: 5))
        XCTAssertTrue(t.markBusy(15, id: 6))
        XCTAssertNil(t.admit(16, now: 8), "all answering: no room")
        t.remove(12, id: c.id)  // evicted earlier: a no-op
        XCTAssertEqual(t.count, 3)
        t.remove(15, id: 6)
        XCTAssertEqual(t.admit(16, now: 9)?.evicted, nil)
    }
}
