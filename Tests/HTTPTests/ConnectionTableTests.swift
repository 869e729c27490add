import HTTP
import XCTest

/// A full table evicts the connection waiting longest without a whole request, never one
/// answering; one address holds at most its cap (loopback exempt unless asked).
final class ConnectionTableTests: XCTestCase {
    func testEvictsTheOldestWaitingConnectionNeverABusyOne() throws {
        var t = ConnectionTable(capacity: 3)
        let a = try t.admit(10, now: 1), b = try t.admit(11, now: 2), c = try t.admit(12, now: 3)
        XCTAssertNil(a.evicted)
        XCTAssertTrue(t.markBusy(10, id: a.id))
        let d = try t.admit(13, now: 4)
        XCTAssertEqual(d.evicted, 11, "the oldest waiting connection goes first")
        XCTAssertFalse(t.markBusy(11, id: b.id), "an evicted connection cannot start answering")
        t.markWaiting(10, id: a.id, now: 5)  // answered: waits again, now the newest
        XCTAssertEqual(try t.admit(14, now: 6).evicted, 12)
        XCTAssertEqual(try t.admit(15, now: 7).evicted, 13)
        XCTAssertTrue(t.markBusy(10, id: a.id))
        XCTAssertTrue(t.markBusy(14, id: 5))
        XCTAssertTrue(t.markBusy(15, id: 6))
        XCTAssertThrowsError(try t.admit(16, now: 8), "all answering: no room") { XCTAssertEqual($0 as? ConnectionTable.Refusal, .full) }
        t.remove(12, id: c.id)  // evicted earlier: a no-op
        XCTAssertEqual(t.count, 3)
        t.remove(15, id: 6)
        XCTAssertEqual(try t.admit(16, now: 9).evicted, nil)
    }

    func testOneAddressHoldsAtMostItsCapAndLoopbackIsExempt() throws {
        let remote: UInt32 = 0x0A00_0001, other: UInt32 = 0x0A00_0002, loopback: UInt32 = 0x7F00_0001  // 10.0.0.1, 10.0.0.2, 127.0.0.1
        var t = ConnectionTable(capacity: 10, perAddress: 2)
        let a = try t.admit(1, address: remote, now: 1)
        _ = try t.admit(2, address: remote, now: 2)
        XCTAssertEqual(try t.admit(3, address: remote, now: 3).evicted, 1, "at its cap, the address's own oldest waiting connection makes room")
        XCTAssertFalse(t.markBusy(1, id: a.id))
        XCTAssertTrue(t.markBusy(2, id: 2))
        XCTAssertTrue(t.markBusy(3, id: 3))
        XCTAssertThrowsError(try t.admit(4, address: remote, now: 4)) { XCTAssertEqual($0 as? ConnectionTable.Refusal, .addressFull) }
        XCTAssertNil(try t.admit(5, address: other, now: 5).evicted, "another address is not affected")
        for fd in Int32(6) ... 9 { XCTAssertNil(try t.admit(fd, address: loopback, now: 6).evicted, "loopback is not capped by default") }
        XCTAssertEqual(t.count, 7)

        var capped = ConnectionTable(capacity: 10, perAddress: 1, capLoopback: true)
        let first = try capped.admit(1, address: loopback, now: 1)
        XCTAssertTrue(capped.markBusy(1, id: first.id))
        XCTAssertThrowsError(try capped.admit(2, address: loopback, now: 2))
        XCTAssertNil(try capped.admit(3, now: 3).evicted, "an unknown address is not capped")
    }
}
