import Foundation
import HTTP
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class HTTPServerTests: XCTestCase {
    private func startServer() throws -> (HTTPServer, Int) {
        var router = Router { status, message in HTTPResponse(status: status, contentType: "text/plain", body: "error: \(message)") }
        router.add("POST", "/echo") { request, responder in
            responder.send(HTTPResponse(status: 200, contentType: "text/plain", body: String(decoding: request.body, as: UTF8.self)))
        }
        router.add("GET", "/items/{id}") { request, responder in
            responder.send(HTTPResponse(status: 200, contentType: "text/plain", body: "item " + request.path))
        }
        router.add("GET", "/items/special") { _, responder in
            responder.send(HTTPResponse(status: 200, contentType: "text/plain", body: "exact"))
        }
        router.add("GET", "/stream") { _, responder in
            let sse = SSEWriter(responder: responder)
            try? sse.open()
            for i in 0 ..< 3 { try? sse.send("{\"i\":\(i)}") }
            try? sse.done()
        }
        var config = HTTPServerConfig()
        config.port = 0
        config.keepAliveTimeout = 1
        config.headerTimeout = 1
        config.bodyTimeout = 1
        let server = HTTPServer(config: config, router: router)
        return (server, try server.start())
    }

    func testKeepAlivePipeliningStreamingAndErrors() throws {
        let (server, port) = try startServer()
        defer { server.stop(deadline: 1) {} }

        // Two requests on one connection, the second pipelined behind the first.
        let c = try RawClient(port: port)
        c.send("POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloPOST /echo HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nworld")
        let both = c.read()
        c.close()
        XCTAssertEqual(both.components(separatedBy: "HTTP/1.1 200 OK").count, 3, both)
        XCTAssertTrue(both.hasSuffix("world"))

        // Streaming: chunked SSE events, then the terminating chunk.
        let s = try RawClient(port: port)
        s.send("GET /stream HTTP/1.1\r\n\r\n")
        let stream = s.read { $0.hasSuffix("0\r\n\r\n") }
        s.close()
        XCTAssertTrue(stream.contains("Transfer-Encoding: chunked"))
        XCTAssertTrue(stream.contains("text/event-stream"))
        XCTAssertTrue(stream.contains("data: {\"i\":2}\n\n"))
        XCTAssertTrue(stream.contains("data: [DONE]\n\n"))

        // A `{id}` segment matches one non-empty segment; an exact path wins over it.
        for (target, body) in [("/items/a1?x=1", "item /items/a1"), ("/items/special", "exact")] {
            let e = try RawClient(port: port)
            e.send("GET \(target) HTTP/1.1\r\nConnection: close\r\n\r\n")
            let answer = e.read()
            e.close()
            XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200") && answer.hasSuffix(body), answer)
        }

        // HEAD takes the GET route's answer without its body: the length a GET would get, and
        // the next response on the connection starts right after the head.
        let h = try RawClient(port: port)
        h.send("HEAD /items/special HTTP/1.1\r\n\r\nGET /items/special HTTP/1.1\r\nConnection: close\r\n\r\n")
        let heads = h.read()
        h.close()
        let parts = heads.components(separatedBy: "HTTP/1.1 200 OK")
        XCTAssertEqual(parts.count, 3, heads)
        XCTAssertTrue(parts[1].contains("Content-Length: 5\r\n") && parts[1].hasSuffix("\r\n\r\n"), "HEAD sent a body: \(heads)")
        XCTAssertTrue(heads.hasSuffix("exact"), heads)

        // Unknown route, wrong method, malformed request: answered, and the server goes on.
        for (raw, status) in [("GET /missing HTTP/1.1\r\n\r\n", "404"), ("GET /echo HTTP/1.1\r\n\r\n", "405"), ("NONSENSE\r\n\r\n", "400"),
                              ("GET /items/ HTTP/1.1\r\n\r\n", "404"), ("GET /items/a/b HTTP/1.1\r\n\r\n", "404"),
                              ("POST /items/a HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "405")] {
            let e = try RawClient(port: port)
            e.send(raw)
            let answer = e.read { $0.contains("\r\n\r\n") }
            e.close()
            XCTAssertTrue(answer.hasPrefix("HTTP/1.1 \(status)"), answer)
        }
        // A slow, never-finished request is timed out with 408.
        let slow = try RawClient(port: port)
        slow.send("POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        let timedOut = slow.read()
        slow.close()
        XCTAssertTrue(timedOut.hasPrefix("HTTP/1.1 408"), timedOut)

        let ok = try RawClient(port: port)
        ok.send("POST /echo HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        XCTAssertTrue(ok.read().hasSuffix("ok"))
        ok.close()
    }

    func testGracefulStopWaitsForRequestsInFlight() throws {
        var router = Router { s, m in HTTPResponse(status: s, contentType: "text/plain", body: m) }
        let started = DispatchSemaphore(value: 0)
        router.add("GET", "/slow") { _, responder in
            started.signal()
            Thread.sleep(forTimeInterval: 0.5)
            responder.send(HTTPResponse(status: 200, contentType: "text/plain", body: "done"))
        }
        var config = HTTPServerConfig()
        config.port = 0
        let server = HTTPServer(config: config, router: router)
        let port = try server.start()
        let c = try RawClient(port: port)
        c.send("GET /slow HTTP/1.1\r\n\r\n")
        XCTAssertEqual(started.wait(timeout: .now() + 5), .success, "the request reached its handler")
        var aborted = false
        server.stop(deadline: 5) { aborted = true }
        XCTAssertFalse(aborted, "the request finished within the deadline")
        XCTAssertTrue(c.read().hasSuffix("done"))
        c.close()
        XCTAssertThrowsError(try RawClient(port: port), "no longer accepting")
    }

    /// A handler that registered `onPeerClosed` hears of its client's hang-up while it works,
    /// from the server (no polling on its side); bytes of a pipelined request are not a hang-up.
    func testHandlersAreToldWhenTheirClientHangsUp() throws {
        let closed = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let (server, port) = try startServer(routes: ["/wait": { _, responder in
            responder.onPeerClosed { closed.signal() }
            _ = release.wait(timeout: .now() + 10)
            responder.send(HTTPResponse(status: 200, contentType: "text/plain", body: "waited"))
        }])
        defer { server.stop(deadline: 1) {} }

        // A second request pipelined behind the first: readable bytes, the client still there.
        let stays = try RawClient(port: port)
        stays.send("GET /wait HTTP/1.1\r\n\r\nGET /hi HTTP/1.1\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(closed.wait(timeout: .now() + 0.5), .timedOut, "pipelined bytes taken for a hang-up")
        release.signal()
        let both = stays.read()
        stays.close()
        XCTAssertTrue(both.contains("waited") && both.hasSuffix("hi"), both)

        // A client that shuts down its write side after a whole request is not gone: it reads
        // its answer (after the interim 100 that probes it).
        let halfClosed = try RawClient(port: port)
        halfClosed.send("GET /wait HTTP/1.1\r\n\r\n")
        halfClosed.shutdownWrite()
        XCTAssertEqual(closed.wait(timeout: .now() + 0.5), .timedOut, "a half-closed client taken for a gone one")
        release.signal()
        let answer = halfClosed.read()
        halfClosed.close()
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"), answer)
        XCTAssertTrue(answer.hasSuffix("waited"), answer)

        // Half-closed, then gone: a closed socket sends nothing more, but the next probe (each second) finds it.
        let halfThenGone = try RawClient(port: port)
        halfThenGone.send("GET /wait HTTP/1.1\r\n\r\n")
        halfThenGone.shutdownWrite()
        XCTAssertTrue(halfThenGone.read { $0.contains("100 Continue") }.contains("100 Continue"))
        halfThenGone.close()
        XCTAssertEqual(closed.wait(timeout: .now() + 3), .success, "a half-closed client that left was never noticed")
        release.signal()

        // HTTP/1.0 cannot be probed with an interim response: end of stream counts as gone.
        let old = try RawClient(port: port)
        old.send("GET /wait HTTP/1.0\r\n\r\n")
        old.shutdownWrite()
        XCTAssertEqual(closed.wait(timeout: .now() + 2), .success, "an HTTP/1.0 client's end of stream not taken for gone")
        release.signal()
        old.close()

        // The client leaves mid-request: the handler is told at once.
        let leaves = try RawClient(port: port)
        leaves.send("GET /wait HTTP/1.1\r\n\r\n")
        let t0 = Date()
        leaves.close()
        XCTAssertEqual(closed.wait(timeout: .now() + 2), .success, "no hang-up notification")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 0.2)
        release.signal()
    }
    /// A client that sends its head one byte at a time never stops being "active", yet is
    /// answered 408 and closed once the header deadline (from its first byte) passes.
    func testDripFedHeadIsClosedByTheHeaderDeadline() throws {
        let (server, port) = try startServer()
        defer { server.stop(deadline: 1) {} }
        let c = try RawClient(port: port)
        defer { c.close() }
        c.send("GET /echo HTTP/1.1\r\nX: ")
        var answer = ""
        for _ in 0 ..< 50 where answer.isEmpty {  // up to 5 s of dripping; the deadline is 1 s
            c.send("a")
            answer = c.readAvailable(ms: 100)
        }
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 408"), answer)
    }

    /// When the table is full, the connection waiting longest without a whole request is closed
    /// to admit a new one; connections answering requests are never evicted, and when all of
    /// them are, the newcomer reads a whole 503 (lingering close, not a reset).
    func testFullTableEvictsTheOldestIncompleteConnection() throws {
        let release = DispatchSemaphore(value: 0)
        let (server, port) = try startServer(routes: ["/hold": { _, responder in
            _ = release.wait(timeout: .now() + 10)
            responder.send(HTTPResponse(status: 200, contentType: "text/plain", body: "held"))
        }], maxConnections: 3)
        defer { server.stop(deadline: 1) {} }

        let busy = try RawClient(port: port)
        busy.send("GET /hold HTTP/1.1\r\n\r\n")
        let slow = try (0 ..< 2).map { _ in try RawClient(port: port) }
        for (i, s) in slow.enumerated() {
            s.send("GET /hi HTTP/1.1\r\nX: \(i)")
            Thread.sleep(forTimeInterval: 0.05)  // an order of arrival
        }
        XCTAssertTrue(waitFor { server.connectionCounts == (3, 1) })
        let fresh = try RawClient(port: port)
        fresh.send("GET /hi HTTP/1.1\r\nConnection: close\r\n\r\n")
        XCTAssertTrue(fresh.read().hasSuffix("hi"), "the newcomer was not served")
        fresh.close()
        XCTAssertEqual(slow[0].readToEnd().text, "", "the oldest incomplete connection was not closed")
        slow[1].send("\r\n\r\n")
        let second = slow[1].read { $0.hasSuffix("hi") }
        XCTAssertTrue(second.hasSuffix("hi"), "a newer incomplete connection was evicted: \(second.debugDescription)")

        // Table full of connections answering requests: 503, read to a clean end of stream.
        XCTAssertTrue(waitFor { server.connectionCounts == (2, 1) }, "the answered connection does not wait for its next request")
        let others = try (0 ..< 2).map { _ in try RawClient(port: port) }
        for o in others { o.send("GET /hold HTTP/1.1\r\n\r\n") }
        XCTAssertTrue(waitFor { server.connectionCounts == (3, 3) }, "\(server.connectionCounts)")
        try expectAnswerAndCleanEnd(port, "GET /hi HTTP/1.1\r\n\r\n" + String(repeating: "x", count: 100_000), status: 503)
        for _ in 0 ..< 3 { release.signal() }
        for c in [busy] + slow + others { c.close() }
    }

    /// With a per-address cap (here applied to loopback, which is exempt by default), one client
    /// address holds at most that many connections: its newcomer evicts its own oldest one that
    /// has no whole request, and gets a whole 503 when all of them are answering.
    func testPerAddressCapLimitsOneClient() throws {
        let release = DispatchSemaphore(value: 0)
        let (server, port) = try startServer(routes: ["/hold": { _, responder in
            _ = release.wait(timeout: .now() + 10)
            responder.send(HTTPResponse(status: 200, contentType: "text/plain", body: "held"))
        }], maxConnections: 256, perAddress: 2)
        defer { server.stop(deadline: 1) {} }

        let busy = try RawClient(port: port)
        busy.send("GET /hold HTTP/1.1\r\n\r\n")
        let slow = try RawClient(port: port)
        slow.send("GET /hi HTTP/1.1\r\nX: 1")
        XCTAssertTrue(waitFor { server.connectionCounts == (2, 1) })
        let fresh = try RawClient(port: port)
        fresh.send("GET /hi HTTP/1.1\r\nConnection: close\r\n\r\n")
        XCTAssertTrue(fresh.read().hasSuffix("hi"), "the newcomer was not served")
        fresh.close()
        XCTAssertEqual(slow.readToEnd().text, "", "the address's incomplete connection was not closed")
        XCTAssertTrue(waitFor { server.connectionCounts == (1, 1) }, "\(server.connectionCounts)")

        let second = try RawClient(port: port)
        second.send("GET /hold HTTP/1.1\r\n\r\n")
        XCTAssertTrue(waitFor { server.connectionCounts == (2, 2) }, "\(server.connectionCounts)")
        let c = try RawClient(port: port)
        c.send("GET /hi HTTP/1.1\r\n\r\n")
        let (text, clean) = c.readToEnd()
        c.close()
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 503") && text.contains("too many open connections from this address"), text)
        XCTAssertTrue(clean, "a reset instead of a lingering close")
        XCTAssertEqual(server.connectionCounts.open, 2, "the table had room: only the address was capped")
        for _ in 0 ..< 2 { release.signal() }
        for c in [busy, slow, second] { c.close() }
    }

    /// An error answered while the client is still sending: the client reads the whole 4xx and
    /// a clean end of stream, not a reset (the unread bytes are drained before closing).
    func testErrorsCloseByLingering() throws {
        let (server, port) = try startServer()
        defer { server.stop(deadline: 1) {} }
        try expectAnswerAndCleanEnd(port, "POST /echo HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n" + String(repeating: "x", count: 200_000),
                                    status: 413)
    }

    /// Sends `raw` on a new connection: the answer has `status` and ends in end of stream, not a reset.
    private func expectAnswerAndCleanEnd(_ port: Int, _ raw: String, status: Int, line: UInt = #line) throws {
        let c = try RawClient(port: port)
        c.send(raw)
        let (text, clean) = c.readToEnd()
        c.close()
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 \(status)"), text, line: line)
        XCTAssertTrue(clean, "a reset instead of a lingering close", line: line)
    }

    /// A server with plain-text errors, `GET /hi`, and `routes` (GET, by path).
    private func startServer(routes: [String: Router.Handler], maxConnections: Int = 256, perAddress: Int = 0) throws -> (HTTPServer, Int) {
        var router = Router { s, m in HTTPResponse(status: s, contentType: "text/plain", body: m) }
        router.add("GET", "/hi") { _, responder in responder.send(HTTPResponse(status: 200, contentType: "text/plain", body: "hi")) }
        for (path, handler) in routes { router.add("GET", path, handler) }
        var config = HTTPServerConfig()
        config.port = 0
        config.maxConnections = maxConnections
        config.maxConnectionsPerAddress = perAddress
        config.capLoopbackConnections = perAddress > 0
        let server = HTTPServer(config: config, router: router)
        return (server, try server.start())
    }

    private func waitFor(_ condition: () -> Bool) -> Bool {
        for _ in 0 ..< 100 { if condition() { return true }; Thread.sleep(forTimeInterval: 0.02) }
        return false
    }
}
