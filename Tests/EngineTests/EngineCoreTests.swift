import Engine
import Foundation
import Kernels
import Models
import XCTest

/// The engine thread and its client: streams deliver tokens then a finish; aborts free the
/// request's blocks whether it is queued or decoding; statistics add up.
final class EngineCoreTests: XCTestCase {
    func waitIdle(_ engine: EngineCore, timeout: Double = 30) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let s = engine.statistics
            if s.numRunning == 0 && s.numWaiting == 0 { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTFail("engine did not become idle")
    }

    func testStreamsAbortAndStatistics() async throws {
        let model = try BatchingEquivalenceTests.model()
        let engine = EngineCore(model: model, config: SchedulerConfig(maxNumSeqs: 4, maxNumBatchedTokens: 256, maxModelLen: 512,
                                                                      blockSize: 16, numBlocks: 64))
        defer { engine.shutdown() }
        let prompt: [Int32] = (0 ..< 30).map { Int32(400 + $0 * 3) }
        // A normal request runs to its length.
        var tokens: [Int32] = []
        var finish: EngineEvent?
        for await e in try engine.submit(EngineRequest(requestID: "a", promptTokenIDs: prompt, maxTokens: 12, ignoreEOS: true)) {
            if case .token(let t, _) = e { tokens.append(t) } else if e != .scheduled { finish = e }
        }
        XCTAssertEqual(tokens.count, 12)
        XCTAssertEqual(finish, .finished(reason: "length", promptTokens: 30, completionTokens: 12))

        // One decoding and one queued request (maxNumSeqs 4 is not the limit here: abort both).
        let long = EngineRequest(requestID: "long", promptTokenIDs: prompt, maxTokens: 400, ignoreEOS: true)
        let started = expectation(description: "first token")
        started.assertForOverFulfill = false
        let ended = expectation(description: "aborted")
        try engine.submit(long) { e in
            switch e {
            case .scheduled: break
            case .token: started.fulfill()
            case .finished(let reason, _, _): XCTAssertEqual(reason, "abort"); ended.fulfill()
            case .failed(let m): XCTFail(m)
            }
        }
        await fulfillment(of: [started], timeout: 30)
        engine.abort("long")
        await fulfillment(of: [ended], timeout: 30)
        waitIdle(engine)
        let stats = engine.statistics
        XCTAssertEqual(stats.numUsedBlocks, 0, "aborted request left blocks in use")
        XCTAssertEqual(stats.finishedByReason["length"], 1)
        XCTAssertEqual(stats.finishedByReason["abort"], 1)
        XCTAssertGreaterThanOrEqual(stats.generationTokens, 13)

        // A request that can never fit is refused at once.
        XCTAssertThrowsError(try engine.submit(EngineRequest(requestID: "huge", promptTokenIDs: [Int32](repeating: 5, count: 600)),
                                               onEvent: { _ in }))
        // Same id twice: the second fails, the first is unaffected.
        let failed = expectation(description: "duplicate fails")
        let blocker = EngineRequest(requestID: "dup", promptTokenIDs: prompt, maxTokens: 50, ignoreEOS: true)
        try engine.submit(blocker) { _ in }
        try engine.submit(blocker) { e in if case .failed = e { failed.fulfill() } }
        await fulfillment(of: [failed], timeout: 30)
        engine.abort("dup")
        waitIdle(engine)
        XCTAssertEqual(engine.statistics.numUsedBlocks, 0)
    }
}
