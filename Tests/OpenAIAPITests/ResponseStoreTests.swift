import Foundation
import JSON
@testable import OpenAIAPI
import XCTest

/// The stored responses: bounded, the least recently used (put or read) dropped first;
/// removal; capacity 0 keeps nothing; concurrent use from many threads keeps the bound.
final class ResponseStoreTests: XCTestCase {
    private static func entry(_ n: Int) -> ResponseStore.Entry {
        ResponseStore.Entry(response: .object([("n", .int(n))]), inputItems: [], history: [])
    }

    func testLeastRecentlyUsedIsDroppedFirst() {
        let store = ResponseStore(capacity: 3)
        for i in 0 ..< 3 { store.put("r\(i)", Self.entry(i)) }
        XCTAssertEqual(store.get("r0")?.response["n"], .int(0))  // r0 is now the most recent
        store.put("r3", Self.entry(3))
        XCTAssertNil(store.get("r1"), "r1 was the least recently used")
        XCTAssertEqual(store.count, 3)
        store.put("r4", Self.entry(4))
        XCTAssertNil(store.get("r2"))
        XCTAssertEqual(["r0", "r3", "r4"].compactMap { store.get($0)?.response["n"]?.intValue }, [0, 3, 4])
        // Replacing an id keeps one entry for it.
        store.put("r3", Self.entry(33))
        XCTAssertEqual(store.count, 3)
        XCTAssertEqual(store.get("r3")?.response["n"], .int(33))
    }

    func testRemoveAndCapacityZero() {
        let store = ResponseStore(capacity: 2)
        store.put("a", Self.entry(1))
        XCTAssertTrue(store.remove("a"))
        XCTAssertFalse(store.remove("a"))
        XCTAssertNil(store.get("a"))
        XCTAssertEqual(store.count, 0)
        let none = ResponseStore(capacity: 0)
        none.put("a", Self.entry(1))
        XCTAssertNil(none.get("a"))
        XCTAssertEqual(none.count, 0)
    }

    func testConcurrentUseKeepsTheBound() {
        let store = ResponseStore(capacity: 50)
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for i in 0 ..< 500 {
                store.put("t\(t)-\(i)", Self.entry(i))
                _ = store.get("t\(t)-\(i / 2)")
                if i % 7 == 0 { _ = store.remove("t\(t)-\(i - 3)") }
            }
        }
        XCTAssertLessThanOrEqual(store.count, 50)
        store.put("last", Self.entry(7))
        XCTAssertEqual(store.get("last")?.response["n"], .int(7))
    }
}
