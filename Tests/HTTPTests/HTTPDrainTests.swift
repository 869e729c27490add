import Foundation
import HTTP
import TestSupport
import XCTest

/// What load balancers rely on: a draining server keeps listening (health checks reach the
/// app), closes every connection after its answer, finishes what is in flight; and every
/// request carries an `X-Request-Id`, echoed.
final class HTTPDrainTests: XCTestCase {
    private func server(accessLog: @escaping @Sendable (HTTPRequest, Int, Int, Double) -> Void = { _, _, _, _ in },
                        _ add: (inout Router) -> Void) throws -> (HTTPServer, Int) {
        var router = Router { s, m in HTTPResponse(status: s, contentType: "text/plain", body: m) }
        router.add("GET", "/hi") { _, r in r.send(HTTPResponse(status: 200, contentType: "text/plain", body: "hi")) }
        add(&router)
        var config = HTTPServerConfig()
        config.port = 0
        let server = HTTPServer(config: config, router: router, accessLog: accessLog)
        return (server, try server.start())
    }

    func testDrainKeepsListeningClosesConnectionsAndFinishesInFlight() throws {
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let (server, port) = try server { router in
            router.add("GET", "/slow") { _, r in
                started.signal()
                _ = release.wait(timeout: .now() + 10)
                r.send(HTTPResponse(status: 200, contentType: "text/plain", body: "done"))
            }
        }
        // A keep-alive connection that has answered once, then sits idle into the drain.
        let kept = try RawClient(port: port)
        kept.send("GET /hi HTTP/1.1\r\n\r\n")
        XCTAssertTrue(kept.read { $0.hasSuffix("hi") }.hasSuffix("hi"))
        // A second keep-alive connection with a request in flight when the drain starts.
        let busy = try RawClient(port: port)
        busy.send("GET /slow HTTP/1.1\r\n\r\n")
        XCTAssertEqual(started.wait(timeout: .now() + 5), .success)

        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread { server.stop(deadline: 10) { XCTFail("nothing should be aborted") }; stopped.signal() }
        Thread.sleep(forTimeInterval: 0.5)

        // Idle keep-alive connections are closed; the listener still answers, closing after.
        let t0 = Date()
        XCTAssertEqual(kept.read(), "")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 2, "an idle connection stays open during the drain")
        kept.close()
        let fresh = try RawClient(port: port)
        fresh.send("GET /hi HTTP/1.1\r\n\r\n")
        let answer = fresh.read()
        fresh.close()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200") && answer.contains("Connection: close\r\n") && answer.hasSuffix("hi"), answer)
        XCTAssertEqual(stopped.wait(timeout: .now() + 0.2), .timedOut, "stopped with a request in flight")

        // The request in flight finishes and its connection closes; then the listener closes.
        release.signal()
        let done = busy.read()
        busy.close()
        XCTAssertTrue(done.contains("Connection: close\r\n") && done.hasSuffix("done"), done)
        XCTAssertEqual(stopped.wait(timeout: .now() + 5), .success)
        XCTAssertThrowsError(try RawClient(port: port), "still accepting after the drain")
    }

    func testRequestIDIsKeptOrMadeAndEchoed() throws {
        let seen = RequestIDs(), logged = RequestIDs()
        let (server, port) = try server(accessLog: { q, _, _, _ in logged.add(q.requestID) }) { router in
            router.add("GET", "/id") { q, r in
                seen.add(q.requestID)
                r.send(HTTPResponse(status: 200, contentType: "text/plain", body: q.requestID ?? "none"))
            }
        }
        defer { server.stop(deadline: 1) {} }
        func get(_ path: String, _ header: String?) throws -> (echoed: String?, body: String) {
            let c = try RawClient(port: port)
            defer { c.close() }
            c.send("GET \(path) HTTP/1.1\r\n" + (header.map { "X-Request-Id: \($0)\r\n" } ?? "") + "Connection: close\r\n\r\n")
            let raw = c.read()
            let echoed = raw.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("x-request-id: ") }.map { String($0.dropFirst(14)) }
            return (echoed, raw.components(separatedBy: "\r\n\r\n").last ?? "")
        }
        let given = try get("/id", "trace-42.abc")
        XCTAssertEqual(given.echoed, "trace-42.abc")
        XCTAssertEqual(given.body, "trace-42.abc", "the handler sees the client's id")

        let made = try get("/id", nil), other = try get("/id", nil)
        XCTAssertEqual(made.echoed?.count, 32)
        XCTAssertEqual(made.echoed, made.body)
        XCTAssertNotEqual(made.echoed, other.echoed, "two requests got one id")

        let replaced = try get("/id", String(repeating: "x", count: 129))
        XCTAssertEqual(replaced.echoed?.count, 32, "an over-long id is replaced")
        XCTAssertEqual(try get("/missing", "abc").echoed, "abc", "error answers echo the id too")
        XCTAssertEqual(seen.count, 4)
        XCTAssertEqual(logged.all, seen.all + ["abc"], "the access log sees the id the client got")
    }
}

private final class RequestIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [String?] = []
    func add(_ id: String?) { lock.lock(); ids.append(id); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return ids.count }
    var all: [String?] { lock.lock(); defer { lock.unlock() }; return ids }
}
