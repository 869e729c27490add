import Foundation
import HTTP
import OpenAIAPI
import TestSupport
import XCTest

/// The phases a load balancer sees (loading, ready, draining) on `/health` and `/live`, with
/// `Retry-After` on every 503, against the real SmolLM2.
final class ServerPhaseTests: XCTestCase {
    private func header(_ name: String, _ r: TestServer.Response) -> String? {
        r.head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ": ") }
            .map { String($0.dropFirst(name.count + 2)) }
    }

    func testLoadingAnswers503WithRetryAfterAndLiveSaysSo() throws {
        let api = OpenAIServer(config: APIConfig())
        var config = HTTPServerConfig()
        config.port = 0
        let http = HTTPServer(config: config, router: api.router)
        let port = try http.start()
        defer { http.stop(deadline: 1) {} }
        XCTAssertEqual(api.phase, .loading)
        let c = try RawClient(port: port)
        c.send("GET /health HTTP/1.1\r\n\r\nGET /live HTTP/1.1\r\n\r\nPOST /v1/completions HTTP/1.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        let raw = c.read()
        c.close()
        let answers = raw.components(separatedBy: "HTTP/1.1 ").dropFirst().map { TestServer.parseResponse("HTTP/1.1 " + $0) }
        XCTAssertEqual(answers.map(\.status), [503, 200, 503], raw)
        XCTAssertEqual(Array(answers.map(\.body).prefix(2)), [#"{"status":"loading"}"#, #"{"status":"loading"}"#])
        XCTAssertEqual(header("Retry-After", answers[0]), "1")
        XCTAssertEqual(header("Retry-After", answers[2]), "1")
    }

    func testDrainFinishesStreamsInFlightAndTurnsNewRequestsAway() throws {
        let server = try TestServer()
        XCTAssertEqual(try server.request("GET", "/health").status, 200)
        XCTAssertEqual(server.api.phase, .ready)

        // A stream in flight when the drain starts, on a keep-alive connection.
        let c = try RawClient(port: server.port)
        let body = #"{"model":"smollm2","prompt":"Once upon a time","max_tokens":48,"temperature":0,"stream":true,"ignore_eos":true}"#
        c.send("POST /v1/completions HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        let first = c.read { $0.contains("data: {") }
        XCTAssertTrue(first.hasPrefix("HTTP/1.1 200"), first)

        server.api.beginDrain()
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread { [http = server.http, engine = server.engine] in
            http.stop(deadline: 10) { engine.abortAll() }
            engine.shutdown()
            stopped.signal()
        }
        XCTAssertEqual(server.api.phase, .draining)

        let health = try server.request("GET", "/health")
        XCTAssertEqual(health.status, 503)
        XCTAssertEqual(health.body, #"{"status":"draining"}"#)
        XCTAssertEqual(header("Retry-After", health), "1")
        XCTAssertEqual(try server.request("GET", "/live").status, 200)
        let turnedAway = try server.post("/v1/completions", #"{"model":"smollm2","prompt":"Hi","max_tokens":2}"#, headers: ["X-Request-Id: drain-1"])
        XCTAssertEqual(turnedAway.status, 503)
        XCTAssertEqual(header("Retry-After", turnedAway), "1")
        XCTAssertEqual(header("Connection", turnedAway), "close")
        XCTAssertEqual(header("X-Request-Id", turnedAway), "drain-1")

        // The stream started before the drain ends with [DONE], and its connection closes.
        let rest = first + c.read()
        c.close()
        let events = TestServer.parseResponse(rest).events
        XCTAssertEqual(events.last, "[DONE]", rest.suffix(300).description)
        XCTAssertTrue(events.contains { $0.contains(#""finish_reason":"length""#) }, "the stream was cut short")
        XCTAssertEqual(stopped.wait(timeout: .now() + 10), .success)
    }
}
