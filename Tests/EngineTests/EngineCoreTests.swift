import Engine
import Foundation
import Kernels
import Loader
import Models
import TestSupport
import XCTest

/// The engine thread and its client: streams deliver tokens then a finish; aborts free the
/// request's blocks whether it is queued or decoding; statistics add up.
final class EngineCoreTests: XCTestCase {
    final class Events: @unchecked Sendable {
        private let lock = NSLock()
        private var events: [EngineEvent] = []
        func append(_ e: EngineEvent) { lock.lock(); events.append(e); lock.unlock() }
        var all: [EngineEvent] { lock.lock(); defer { lock.unlock() }; return events }
    }

    func waitIdle(_ engine: EngineCore, timeout: Double = 30) {
        let idle = waitUntil(timeout: timeout) { engine.statistics.numRunning == 0 && engine.statistics.numWaiting == 0 }
        XCTAssertTrue(idle, "engine did not become idle")
    }

    func testStreamsAbortAndStatistics() async throws {
        let model = try BatchingEquivalenceTests.model()
        let engine = model.makeEngine(SchedulerConfig(maxNumSeqs: 4, maxNumBatchedTokens: 256, maxModelLen: 512,
                                                      blockSize: 16, numBlocks: 64))
        defer { engine.shutdown() }
        let prompt: [Int32] = (0 ..< 30).map { Int32(400 + $0 * 3) }
        // A normal request runs to its length.
        var tokens: [Int32] = []
        var finish: EngineEvent?
        let events = Events()
        let finished = expectation(description: "finished")
        try engine.submit(EngineRequest(requestID: "a", promptTokenIDs: prompt, maxTokens: 12, ignoreEOS: true)) { e in
            events.append(e)
            if case .finished = e { finished.fulfill() }
        }
        await fulfillment(of: [finished], timeout: 30)
        for e in events.all { if case .token(let t, _) = e { tokens.append(t) } else if e != .scheduled { finish = e } }
        XCTAssertEqual(tokens.count, 12)
        XCTAssertEqual(finish, .finished(reason: .length, promptTokens: 30, completionTokens: 12))

        // One decoding and one queued request (maxNumSeqs 4 is not the limit here: abort both).
        let long = EngineRequest(requestID: "long", promptTokenIDs: prompt, maxTokens: 400, ignoreEOS: true)
        let started = expectation(description: "first token")
        started.assertForOverFulfill = false
        let ended = expectation(description: "aborted")
        try engine.submit(long) { e in
            switch e {
            case .scheduled, .promptLogprobs, .embedding: break
            case .token: started.fulfill()
            case .finished(let reason, _, _): XCTAssertEqual(reason, .abort); ended.fulfill()
            case .failed(let m): XCTFail(m)
            }
        }
        await fulfillment(of: [started], timeout: 30)
        engine.abort(SequenceID("long"))
        await fulfillment(of: [ended], timeout: 30)
        waitIdle(engine)
        let stats = engine.statistics
        XCTAssertEqual(stats.numUsedBlocks, 0, "aborted request left blocks in use")
        XCTAssertEqual(stats.finishedByReason[.length], 1)
        XCTAssertEqual(stats.finishedByReason[.abort], 1)
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
        engine.abort(SequenceID("dup"))
        waitIdle(engine)
        XCTAssertEqual(engine.statistics.numUsedBlocks, 0)
    }

    /// n > 1 through the engine: every sample streams its own tokens and finish; aborting a
    /// request whose prompt has not run yet ends all its samples.
    func testParallelSamplesStreamAndAbortTogether() throws {
        let model = try BatchingEquivalenceTests.model()
        let engine = model.makeEngine(SchedulerConfig(maxNumSeqs: 8, numBlocks: 64))
        defer { engine.shutdown() }
        final class Log: @unchecked Sendable {
            let lock = NSLock()
            var tokens: [Int: Int] = [:], finishes: [Int: EngineEvent] = [:]
        }
        var r = EngineRequest(requestID: "z", promptTokenIDs: [1, 9138, 2115, 253, 655], sampling: SamplingParams(temperature: 0.9, seed: 3),
                              maxTokens: 8, ignoreEOS: true)
        r.n = 3
        let log = Log()
        let done = expectation(description: "all samples finish")
        done.expectedFulfillmentCount = 3
        try engine.submit(r) { i, e in
            log.lock.lock(); defer { log.lock.unlock() }
            switch e {
            case .token: log.tokens[i, default: 0] += 1
            case .finished: log.finishes[i] = e; done.fulfill()
            case .scheduled, .promptLogprobs, .embedding: break
            case .failed(let m): XCTFail(m)
            }
        }
        wait(for: [done], timeout: 60)
        XCTAssertEqual(log.tokens, [0: 8, 1: 8, 2: 8])
        XCTAssertEqual(log.finishes[0], .finished(reason: .length, promptTokens: 5, completionTokens: 8))
        XCTAssertEqual(log.finishes[2], .finished(reason: .length, promptTokens: 0, completionTokens: 8))

        // Queued behind a long request (maxNumSeqs reached), then aborted: all three samples end.
        let blocker = EngineRequest(requestID: "b", promptTokenIDs: Array(repeating: 400, count: 20), maxTokens: 300, ignoreEOS: true)
        let engine2 = model.makeEngine(SchedulerConfig(maxNumSeqs: 2, numBlocks: 64))
        defer { engine2.shutdown() }
        try engine2.submit(blocker) { _ in }
        var q = r
        q.requestID = "q"
        q.n = 2
        let ended = expectation(description: "aborted samples end")
        ended.expectedFulfillmentCount = 2
        try engine2.submit(q) { _, e in if case .finished(let reason, _, _) = e { XCTAssertEqual(reason, .abort); ended.fulfill() } }
        engine2.abort(SequenceID("q"))
        wait(for: [ended], timeout: 30)
        engine2.abort(SequenceID("b"))
        waitIdle(engine2)
        XCTAssertEqual(engine2.statistics.numUsedBlocks, 0)
    }
}
