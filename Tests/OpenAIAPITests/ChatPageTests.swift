import Foundation
import HTTP
import OpenAIAPI
import TestSupport
import XCTest

/// The chat page at `/` (no model needed): served without the key, under a nonce-based
/// Content-Security-Policy, self-contained; off with `chatPage: false`. The browser tests in
/// Tests/sdk/test_chat_page.py drive it in Chromium.
final class ChatPageTests: XCTestCase {
    private func get(_ path: String, config: APIConfig, headers: [String] = []) throws -> TestServer.Response {
        let api = OpenAIServer(config: config)
        var http = HTTPServerConfig()
        http.port = 0
        let server = HTTPServer(config: http, router: api.router)
        let port = try server.start()
        defer { server.stop(deadline: 1) {} }
        let c = try RawClient(port: port)
        defer { c.close() }
        c.send("GET \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n")
        return TestServer.parseResponse(c.read())
    }

    private func header(_ name: String, _ r: TestServer.Response) -> String? {
        r.head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ": ") }
            .map { String($0.dropFirst(name.count + 2)) }
    }

    func testPageLoadsWithoutTheKeyUnderANonceCSPAndNeedsNothingFromElsewhere() throws {
        let keyed = APIConfig(apiKey: "sk-test")
        let page = try get("/", config: keyed)
        XCTAssertEqual(page.status, 200, page.head)
        XCTAssertEqual(header("Content-Type", page), "text/html; charset=utf-8")
        XCTAssertEqual(header("X-Content-Type-Options", page), "nosniff")
        let csp = try XCTUnwrap(header("Content-Security-Policy", page))
        XCTAssertTrue(csp.hasPrefix("default-src 'self'; "), csp)
        XCTAssertFalse(csp.contains("unsafe"), csp)
        let nonce = try XCTUnwrap(csp.firstMatch(of: /script-src 'nonce-([0-9a-f]+)'/)?.1)
        XCTAssertEqual(nonce.count, 32)
        XCTAssertTrue(csp.contains("style-src 'nonce-\(nonce)'"), csp)
        // Every inline script and style carries the nonce; nothing is loaded from another origin.
        XCTAssertEqual(page.body.components(separatedBy: "<script").count - 1, 1)
        XCTAssertTrue(page.body.contains("<script nonce=\"\(nonce)\">"))
        XCTAssertTrue(page.body.contains("<style nonce=\"\(nonce)\">"))
        XCTAssertFalse(page.body.contains("{{nonce}}"))
        XCTAssertFalse(page.body.contains("http:") || page.body.contains("https:") || page.body.contains("//cdn"))
        XCTAssertFalse(page.body.contains(" style=\""), "inline style attributes would be blocked by the CSP")
        XCTAssertTrue(page.body.contains("/v1/chat/completions"))
        // A fresh nonce per response.
        let again = try get("/", config: keyed)
        XCTAssertNotEqual(header("Content-Security-Policy", again), csp)
        // The page does not open the API: without the key, the rest still answers 401.
        XCTAssertEqual(try get("/v1/models", config: keyed).status, 401)
        XCTAssertEqual(try get("/index.html", config: keyed).status, 401)
    }

    func testTurnedOffTheRootIsLikeAnyUnknownPath() throws {
        XCTAssertEqual(try get("/", config: APIConfig(chatPage: false)).status, 404)
        XCTAssertEqual(try get("/", config: APIConfig(apiKey: "sk-test", chatPage: false)).status, 401)
        XCTAssertEqual(try get("/", config: APIConfig(apiKey: "sk-test", chatPage: false), headers: ["Authorization: Bearer sk-test"]).status, 404)
    }
}
