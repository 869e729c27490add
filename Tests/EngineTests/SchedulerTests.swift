import Engine
import XCTest

/// The scheduler and block pool as state machines, driven by a fake runner whose "model"
/// picks each next token from the tokens so far, so outputs are checkable.
final class SchedulerTests: XCTestCase {
    static let eos: Int32 = 1

    /// The fake model: next token from a hash of the whole sequence so far (never EOS unless asked).
    static func nextToken(_ tokens: [Int32]) -> Int32 {
        var h: UInt64 = 1469598103934665603
        for t in tokens { h = (h ^ UInt64(UInt32(bitPattern: t))) &* 1099511628211 }
        return Int32(2 + h % 500)
    }

    /// The fake runner: a token for every sequence that samples, from its tokens so far.
    static func fakeRun(_ s: Scheduler, _ out: SchedulerOutput) -> RunnerOutput {
        var result = RunnerOutput()
        for item in out.scheduled where item.needsSample {
            if let st = s.state(item.id) { result.rows[item.id] = RowResult(tokens: [nextToken(st.allTokenIDs)]) }
        }
        return result
    }

    /// Runs to completion, checking invariants after every step. Returns outputs and events.
    @discardableResult
    func drive(_ s: Scheduler, maxSteps: Int = 10_000, onStep: ((Int, SchedulerOutput) -> Void)? = nil) -> [String: [Int32]] {
        var outputs: [String: [Int32]] = [:]
        var step = 0
        while s.hasWork && step < maxSteps {
            let out = s.schedule()
            XCTAssertLessThanOrEqual(out.numScheduledTokens, s.config.maxNumBatchedTokens)
            XCTAssertLessThanOrEqual(s.running.count, s.config.maxNumSeqs)
            Self.checkBlocks(s)
            for item in out.scheduled {
                for table in item.blockTables {
                    XCTAssertGreaterThanOrEqual(table.count * s.config.blockSize, item.startPosition + item.tokenIDs.count)
                }
            }
            onStep?(step, out)
            for e in s.update(out, Self.fakeRun(s, out)) {
                if case .token(let t, _) = e.event { outputs[e.id.description, default: []].append(t) }
            }
            Self.checkBlocks(s)
            step += 1
        }
        XCTAssertFalse(s.hasWork, "did not finish in \(maxSteps) steps")
        XCTAssertEqual(s.pool.numUsedBlocks, 0, "blocks leaked")
        return outputs
    }

    /// Every block held by a request is counted once per holder in the pool.
    static func checkBlocks(_ s: Scheduler) {
        var holders: [Int32: Int] = [:]
        for r in s.running + s.waiting {
            XCTAssertEqual(Set(r.blockIDs).count, r.blockIDs.count, "a request holds a block twice")
            for b in r.blockIDs { holders[b, default: 0] += 1 }
        }
        XCTAssertEqual(s.pool.numUsedBlocks, holders.count)
        for (b, n) in holders { XCTAssertEqual(s.pool.refCount[Int(b)], n, "block \(b) refcount") }
    }

    /// n > 1: the prompt is computed once; the samples share its blocks, each gets its own
    /// copy of the shared partial block when it first writes there, and nothing leaks.
    func testParallelSamplesShareThePromptAndCopyOnWrite() throws {
        for promptLength in [20, 32] {
            let s = Scheduler(config: SchedulerConfig(maxNumSeqs: 8, maxNumBatchedTokens: 64, maxModelLen: 256, blockSize: 16, numBlocks: 40))
            let prompt = (0 ..< promptLength).map { Int32(10 + $0) }
            var r = EngineRequest(requestID: "p", promptTokenIDs: prompt, maxTokens: 12, ignoreEOS: true)
            r.n = 3
            try s.add(r)
            var copies = 0, promptTokensComputed = 0
            let outputs = drive(s) { step, out in
                copies += out.copies.count
                promptTokensComputed += out.scheduled.reduce(0) { $0 + (s.state($1.id)?.outputTokenIDs.isEmpty == true ? $1.tokenIDs.count : 0) }
                if step == 0 {
                    XCTAssertEqual(out.scheduled.filter { $0.sample?.logitsFrom == SequenceID("p") }.map(\.id.description).sorted(), ["p[1]", "p[2]"])
                    XCTAssertEqual(out.scheduled.filter { $0.newRequest != nil }.count, 3, "every sample is new to the runner")
                    XCTAssertEqual(s.running.count, 3)
                    let blocks = s.state(SequenceID("p"))?.blockIDs ?? []
                    XCTAssertEqual(blocks.count, (promptLength + 15) / 16)
                    for b in blocks { XCTAssertEqual(s.pool.refCount[Int(b)], 3) }
                }
            }
            XCTAssertEqual(promptTokensComputed, promptLength, "the prompt is computed once")
            XCTAssertEqual(copies, promptLength % 16 == 0 ? 0 : 2, "copy-on-write of the shared partial block")
            for id in ["p", "p[1]", "p[2]"] { XCTAssertEqual(outputs[id], Self.expected(prompt, 12), id) }
        }
    }

    /// Forked samples in a pool too small for all of them: some are preempted and recomputed,
    /// every sample still gets its tokens, refcounts stay exact and nothing leaks.
    func testParallelSamplesUnderPreemption() throws {
        let s = Scheduler(config: SchedulerConfig(maxNumSeqs: 8, maxNumBatchedTokens: 48, maxModelLen: 256, blockSize: 16, numBlocks: 9))
        let prompt = (0 ..< 21).map { Int32(40 + $0) }
        var r = EngineRequest(requestID: "q", promptTokenIDs: prompt, maxTokens: 30, ignoreEOS: true)
        r.n = 4
        try s.add(r)
        var preempted = 0
        let outputs = drive(s) { _, out in preempted += out.preempted.count }
        XCTAssertGreaterThan(preempted, 0)
        for i in 0 ..< 4 { XCTAssertEqual(outputs[SequenceID("q", i).description], Self.expected(prompt, 30)) }
    }

    func testTooManySamplesIsRefused() {
        let s = Scheduler(config: SchedulerConfig(maxNumSeqs: 2, numBlocks: 10))
        var r = EngineRequest(requestID: "x", promptTokenIDs: [5, 6], maxTokens: 2)
        r.n = 3
        XCTAssertThrowsError(try s.add(r))
    }

    static func expected(_ prompt: [Int32], _ n: Int) -> [Int32] {
        var all = prompt
        var out: [Int32] = []
        for _ in 0 ..< n { let t = Self.nextToken(all); all.append(t); out.append(t) }
        return out
    }

    func request(_ id: String, _ prompt: [Int32], max: Int = 8) -> EngineRequest {
        EngineRequest(requestID: id, promptTokenIDs: prompt, maxTokens: max, eosTokenIDs: [Self.eos])
    }

    static func prompt(_ seed: Int, _ n: Int) -> [Int32] { (0 ..< n).map { Int32(2 + (seed * 7919 + $0 * 31) % 400) } }

    func testManyRequestsFinishWithTheirOwnOutputs() throws {
        let s = Scheduler(config: SchedulerConfig(maxNumSeqs: 4, maxNumBatchedTokens: 64, numBlocks: 64))
        var prompts: [String: [Int32]] = [:]
        for i in 0 ..< 10 {
            prompts["r\(i)"] = Self.prompt(i, 5 + i * 7)
            try s.add(request("r\(i)", prompts["r\(i)"]!, max: 6 + i))
        }
        let outputs = drive(s)
        for i in 0 ..< 10 { XCTAssertEqual(outputs["r\(i)"], Self.expected(prompts["r\(i)"]!, 6 + i), "r\(i)") }
    }

    func testLongPromptIsChunkedAndDecodesAreNotStarved() throws {
        let s2 = Scheduler(config: SchedulerConfig(maxNumSeqs: 8, maxNumBatchedTokens: 32, numBlocks: 64))
        try s2.add(request("short", Self.prompt(1, 4), max: 20))
        try s2.add(request("long", Self.prompt(2, 200), max: 2))
        var decodeSteps = 0
        drive(s2) { _, out in
            if out.scheduled.contains(where: { $0.id.requestID == "long" }) && out.scheduled.contains(where: { $0.id.requestID == "short" }) {
                decodeSteps += 1
            }
            if let long = out.scheduled.first(where: { $0.id.requestID == "long" }) { XCTAssertLessThanOrEqual(long.tokenIDs.count, 32) }
        }
        XCTAssertGreaterThan(decodeSteps, 3, "the short request decoded while the long prompt was being chunked")
    }

    func testWaitingRequestsAreAdmittedInOrder() throws {
        let s = Scheduler(config: SchedulerConfig(maxNumSeqs: 2, maxNumBatchedTokens: 1000, numBlocks: 100))
        for i in 0 ..< 6 { try s.add(request("r\(i)", Self.prompt(i, 10), max: 3 + i)) }
        var admitted: [String] = []
        drive(s) { _, out in
            for item in out.scheduled where item.startPosition == 0 { admitted.append(item.id.requestID) }
        }
        XCTAssertEqual(admitted, (0 ..< 6).map { "r\($0)" })
    }

    func testPreemptionPicksTheNewestAndOutputsAreUnchanged() throws {
        // 12 blocks of 4 tokens: three requests growing to 30 tokens cannot all fit.
        let cfg = SchedulerConfig(maxNumSeqs: 3, maxNumBatchedTokens: 100, blockSize: 4, numBlocks: 12)
        let s = Scheduler(config: cfg)
        var prompts: [String: [Int32]] = [:]
        for i in 0 ..< 3 { prompts["r\(i)"] = Self.prompt(i, 10); try s.add(request("r\(i)", prompts["r\(i)"]!, max: 20)) }
        var preempted: [String] = []
        let outputs = drive(s) { _, out in
            preempted += out.preempted.map(\.description)
        }
        XCTAssertFalse(preempted.isEmpty, "the pool was meant to run out")
        XCTAssertEqual(preempted.first, "r2", "the newest running request goes first")
        for i in 0 ..< 3 { XCTAssertEqual(outputs["r\(i)"], Self.expected(prompts["r\(i)"]!, 20)) }
    }

    func testAbortFreesEverythingAtEveryStage() throws {
        for abortAt in 0 ..< 6 {
            let s = Scheduler(config: SchedulerConfig(maxNumSeqs: 1, maxNumBatchedTokens: 8, numBlocks: 32))
            try s.add(request("a", Self.prompt(1, 30), max: 10))
            try s.add(request("queued", Self.prompt(2, 5), max: 3))
            for _ in 0 ..< abortAt {
                let out = s.schedule()
                var result = RunnerOutput()
                for item in out.scheduled where item.needsSample { result.rows[item.id] = RowResult(tokens: [5]) }
                _ = s.update(out, result)
            }
            XCTAssertEqual(s.abort(SequenceID("a")), [SequenceEvent(id: SequenceID("a"), event: .finished(reason: .abort, promptTokens: 30,
                                                   completionTokens: max(0, abortAt - 3)))])  // 30 prompt tokens take 4 steps of 8
            XCTAssertEqual(s.abort(SequenceID("queued")).count, 1)
            XCTAssertEqual(s.abort(SequenceID("queued")), [])
            XCTAssertEqual(s.schedule().finished.map(\.description).sorted(), ["a", "queued"], "the runner is told to forget them")
            XCTAssertFalse(s.hasWork)
            XCTAssertEqual(s.pool.numUsedBlocks, 0)
        }
    }

    func testPrefixCacheReusesFullBlocks() throws {
        let s = Scheduler(config: SchedulerConfig(maxNumSeqs: 4, maxNumBatchedTokens: 512, blockSize: 16, numBlocks: 64))
        let shared = Self.prompt(9, 48)
        try s.add(request("first", shared + [7, 8], max: 4))
        let outA = drive(s)
        try s.add(request("second", shared + [9], max: 4))
        var cached = -1
        let outB = drive(s) { _, out in
            if let item = out.scheduled.first, cached < 0 { cached = item.startPosition }
        }
        XCTAssertEqual(cached, 48, "three full blocks of the shared prefix come from the cache")
        XCTAssertEqual(outB["second"], Self.expected(shared + [9], 4))
        XCTAssertEqual(outA["first"], Self.expected(shared + [7, 8], 4))
        XCTAssertGreaterThan(s.pool.prefixHits, 0)
        // Two running requests share the prefix blocks (reference count 2).
        try s.add(request("x", shared + [1, 2], max: 30))
        try s.add(request("y", shared + [3], max: 30))
        _ = s.schedule()
        let x = try XCTUnwrap(s.state(SequenceID("x"))), y = try XCTUnwrap(s.state(SequenceID("y")))
        XCTAssertEqual(Array(x.blockIDs.prefix(3)), Array(y.blockIDs.prefix(3)))
        Self.checkBlocks(s)
        _ = s.abort(SequenceID("x")); _ = s.abort(SequenceID("y"))
        XCTAssertEqual(s.pool.numUsedBlocks, 0)
    }

    func testImpossibleRequestsAreRejected() {
        let s = Scheduler(config: SchedulerConfig(maxModelLen: 64, blockSize: 16, numBlocks: 2))
        XCTAssertThrowsError(try s.add(request("long", Self.prompt(1, 64)))) { XCTAssertEqual($0 as? EngineError, .promptTooLong(tokens: 64, maxModelLen: 64)) }
        XCTAssertThrowsError(try s.add(request("big", Self.prompt(1, 40), max: 10))) { XCTAssertEqual($0 as? EngineError, .neverFits(blocksNeeded: 4, numBlocks: 2)) }
        XCTAssertThrowsError(try s.add(request("empty", []))) { XCTAssertEqual($0 as? EngineError, .emptyPrompt) }
    }

    func testStopTokensEOSAndIgnoreEOS() throws {
        let p = Self.prompt(3, 6)
        let first = Self.expected(p, 1)[0]
        let s = Scheduler(config: SchedulerConfig(numBlocks: 16))
        try s.add(EngineRequest(requestID: "eos", promptTokenIDs: p, maxTokens: 10, eosTokenIDs: [first]))
        try s.add(EngineRequest(requestID: "ignore", promptTokenIDs: p, maxTokens: 5, eosTokenIDs: [first], ignoreEOS: true))
        try s.add(EngineRequest(requestID: "stop", promptTokenIDs: p, maxTokens: 10, stopTokenIDs: [first], ignoreEOS: true))
        var finished: [String: FinishReason] = [:]
        while s.hasWork {
            let out = s.schedule()
            for e in s.update(out, Self.fakeRun(s, out)) { if case .finished(let reason, _, _) = e.event { finished[e.id.requestID] = reason } }
        }
        XCTAssertEqual(finished, ["eos": .stop, "ignore": .length, "stop": .stop])
        XCTAssertEqual(RequestStatus.finishedLength.finishReason, .length)
    }
}
