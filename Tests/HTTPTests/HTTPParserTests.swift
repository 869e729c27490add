import HTTP
import XCTest

final class HTTPParserTests: XCTestCase {
    /// Feeds `chunks` in order and collects every result until the parser needs more or fails.
    private func parse(_ chunks: [[UInt8]], limits: HTTPLimits = HTTPLimits()) -> [HTTPParseResult] {
        var parser = HTTPParser(limits: limits)
        var results: [HTTPParseResult] = []
        for chunk in chunks {
            parser.feed(chunk)
            loop: while true {
                let r = parser.next()
                switch r {
                case .needMore: break loop
                case .expectContinue: results.append(r)
                case .request: results.append(r)
                case .error: results.append(r); return results
                }
            }
        }
        return results
    }

    private let pipelined = Array((
        "POST /v1/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"prompt\":\"h\"}"
            .replacingOccurrences(of: "13", with: "14")
        + "GET /health HTTP/1.1\r\nHost: a\r\n\r\n"
        + "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n"
        + "GET /close HTTP/1.0\r\n\r\n").utf8)

    private func expected() -> [HTTPParseResult] {
        [.request(HTTPRequest(method: "POST", target: "/v1/completions?x=1",
                              headers: [("Host", "a"), ("Content-Type", "application/json"), ("Content-Length", "14")],
                              body: Array("{\"prompt\":\"h\"}".utf8))),
         .request(HTTPRequest(method: "GET", target: "/health", headers: [("Host", "a")])),
         .request(HTTPRequest(method: "POST", target: "/x", headers: [("Transfer-Encoding", "chunked")], body: Array("hello world".utf8))),
         .request(HTTPRequest(method: "GET", target: "/close", version: "HTTP/1.0"))]
    }

    func testWholeInputParsesPipelinedRequests() {
        let results = parse([pipelined])
        XCTAssertEqual(results, expected())
        if case .request(let r) = results[0] { XCTAssertEqual(r.path, "/v1/completions"); XCTAssertTrue(r.keepAlive) }
        if case .request(let r) = results[3] { XCTAssertFalse(r.keepAlive) }
    }

    func testOneByteAtATimeGivesTheSameRequests() {
        XCTAssertEqual(parse(pipelined.map { [$0] }), expected())
    }

    func testRandomSplitsGiveTheSameRequests() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0 ..< 300 {
            var chunks: [[UInt8]] = []
            var i = 0
            while i < pipelined.count {
                let n = Int.random(in: 1 ... 40, using: &rng)
                chunks.append(Array(pipelined[i ..< min(i + n, pipelined.count)]))
                i += n
            }
            XCTAssertEqual(parse(chunks), expected())
        }
    }

    func testExpectContinueBeforeTheBody() {
        let head = Array("POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8)
        XCTAssertEqual(parse([head, Array("abc".utf8)]),
                       [.expectContinue, .request(HTTPRequest(method: "POST", target: "/a",
                                                              headers: [("Expect", "100-continue"), ("Content-Length", "3")], body: Array("abc".utf8)))])
        // Body already there: no interim response needed.
        XCTAssertEqual(parse([head + Array("abc".utf8)]).count, 1)
    }

    func testMalformedInputGivesTypedErrorsWithStatus() {
        let cases: [(String, Int)] = [
            ("GARBAGE\r\n\r\n", 400),
            ("GET  /a HTTP/1.1\r\n\r\n", 400),
            ("GET /a HTTP/2.0\r\n\r\n", 505),
            ("GET a HTTP/1.1\r\n\r\n", 400),
            ("GET /a HTTP/1.1\r\nNo-Colon\r\n\r\n", 400),
            ("GET /a HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
            ("GET /a HTTP/1.1\r\n folded: x\r\n\r\n", 400),
            ("GET /a HTTP/1.1\nHost: a\r\n\r\n", 400),
            ("POST /a HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
            ("POST /a HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST /a HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", 400),
            ("POST /a HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
            ("POST /a HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            ("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400),
            ("POST /a HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n", 413),
            ("POST /a HTTP/1.1\r\nExpect: magic\r\n\r\n", 417),
            ("GET /a HTTP/1.1\r\nX: \u{01}\r\n\r\n", 400),
        ]
        for (text, status) in cases {
            let results = parse([Array(text.utf8)])
            guard case .error(let e)? = results.last else { XCTFail("accepted: \(text.debugDescription)"); continue }
            XCTAssertEqual(e.status, status, text.debugDescription)
        }
    }

    func testLimitsOnHeadAndBody() {
        let limits = HTTPLimits(maxHeaderBytes: 256, maxHeaderCount: 4, maxBodyBytes: 10)
        let big = "GET /a HTTP/1.1\r\nX: " + String(repeating: "a", count: 300) + "\r\n\r\n"
        XCTAssertEqual(parse([Array(big.utf8)], limits: limits), [.error(.headersTooLarge(limit: 256))])
        // Without a terminator the parser gives up as soon as the limit is passed.
        XCTAssertEqual(parse([Array(String(repeating: "a", count: 300).utf8)], limits: limits), [.error(.headersTooLarge(limit: 256))])
        let many = "GET /a HTTP/1.1\r\n" + (0 ..< 5).map { "H\($0): v\r\n" }.joined() + "\r\n"
        XCTAssertEqual(parse([Array(many.utf8)], limits: limits), [.error(.tooManyHeaders(limit: 4))])
        let chunked = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"
        XCTAssertEqual(parse([Array(chunked.utf8)], limits: limits), [.error(.bodyTooLarge(limit: 10))])
    }

    func testFailedParserStaysFailed() {
        var p = HTTPParser()
        p.feed(Array("BAD\r\n\r\nGET / HTTP/1.1\r\n\r\n".utf8))
        XCTAssertEqual(p.next(), .error(.badRequestLine))
        XCTAssertEqual(p.next(), .error(.badRequestLine))
    }

    func testShortBodyWaitsForMore() {
        var p = HTTPParser()
        p.feed(Array("POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc".utf8))
        XCTAssertEqual(p.next(), .needMore)
        XCTAssertFalse(p.isIdle)
    }
}
