import Engine
import XCTest

/// Speculative steps through the scheduler, driven by a fake runner over `SchedulerTests`'
/// fake model that guesses right or wrong at random: outputs stay those of plain decoding and
/// no block leaks, through rejections, preemptions, forks and aborts.
final class SpeculativeSchedulerTests: XCTestCase {
    /// The fake runner: verifies each row's guesses against the fake model (draws equal guesses
    /// while they are the true next tokens), then guesses `propose` tokens, each right with
    /// probability `pRight` (and the rest after a wrong one random).
    static func fakeRun(_ s: Scheduler, _ out: SchedulerOutput, rng: inout RandomSource, pRight: Double) -> RunnerOutput {
        var result = RunnerOutput()
        for item in out.scheduled where item.needsSample {
            guard let st = s.state(item.id), let spec = item.sample else { continue }
            var known = st.allTokenIDs, row = RowResult()
            for j in 0 ... spec.draft.count {
                let t = SchedulerTests.nextToken(known)
                row.tokens.append(t)
                known.append(t)
                if j == spec.draft.count || t != spec.draft[j] { break }
            }
            var truth = known
            for _ in 0 ..< spec.propose {
                let t = SchedulerTests.nextToken(truth)
                truth.append(t)
                row.drafts.append(rng.nextUnit() < pRight ? t : Int32(2 + rng.next() % 500))
            }
            result.rows[item.id] = row
        }
        return result
    }

    func config(_ method: SpeculativeConfig.Method, numBlocks: Int, budget: Int = 64, batch: Int = 64) -> SchedulerConfig {
        let spec = SpeculativeConfig(method: method, numSpeculativeTokens: 5, model: method == .draft ? "draft" : nil, disableByBatchSize: batch)
        return SchedulerConfig(maxNumSeqs: 8, maxNumBatchedTokens: budget, maxModelLen: 200, blockSize: 16, numBlocks: numBlocks, speculative: spec)
    }

    /// Thousands of speculative steps with random acceptance, a pool small enough to preempt,
    /// forks and random aborts: every finished output equals plain decoding's, blocks stay
    /// exactly counted after every step, budgets hold, and nothing leaks.
    func testRandomAcceptancePreemptionForksAndAbortsLeakNothing() throws {
        for method in SpeculativeConfig.Method.allCases {
            var rng = RandomSource(seed: 7)
            var steps = 0, drafted = 0, accepted = 0, preemptions = 0, aborted = Set<String>()
            var outputs: [String: [Int32]] = [:], expected: [String: [Int32]] = [:]
            for round in 0 ..< 30 {
                let s = Scheduler(config: config(method, numBlocks: 16 + 8 * (round % 3), budget: 32 + 8 * (round % 5)))
                for i in 0 ..< 16 {
                    let prompt = SchedulerTests.prompt(round * 100 + i, 5 + (i * 13) % 40)
                    var r = EngineRequest(requestID: "r\(round)-\(i)", promptTokenIDs: prompt, maxTokens: 20 + i * 3, ignoreEOS: true)
                    r.n = i % 5 == 0 ? 2 : 1
                    r.speculative = i % 7 != 3
                    try s.add(r)
                    for k in 0 ..< r.n { expected[SequenceID(r.requestID, k).description] = SchedulerTests.expected(prompt, r.maxTokens) }
                }
                while s.hasWork {
                    let out = s.schedule()
                    XCTAssertLessThanOrEqual(out.numScheduledTokens, s.config.maxNumBatchedTokens)
                    SchedulerTests.checkBlocks(s)
                    preemptions += out.preempted.count
                    for item in out.scheduled {
                        for table in item.blockTables { XCTAssertGreaterThanOrEqual(table.count * 16, item.startPosition + item.tokenIDs.count) }
                        if let d = item.sample?.draft, !d.isEmpty {
                            XCTAssertTrue(s.state(item.id)?.request.speculative ?? false, "a request that opted out got guesses")
                        }
                    }
                    let result = Self.fakeRun(s, out, rng: &rng, pRight: 0.7)
                    for item in out.scheduled {
                        guard let d = item.sample?.draft, !d.isEmpty else { continue }
                        drafted += d.count
                        accepted += Scheduler.acceptedCount(d, result.rows[item.id]?.tokens ?? [])
                    }
                    for e in s.update(out, result) {
                        if case .token(let t, _) = e.event { outputs[e.id.description, default: []].append(t) }
                    }
                    SchedulerTests.checkBlocks(s)
                    for st in s.running { XCTAssertLessThanOrEqual(st.numBlocks, (st.numTokens + 15) / 16, "rejected guesses' blocks were kept") }
                    if rng.nextUnit() < 0.01, let victim = (s.running + s.waiting).randomElement(using: &rng) {
                        aborted.insert(victim.id.requestID)  // before its fork, aborting sample 0 ends them all
                        _ = s.abort(victim.id)
                    }
                    steps += 1
                }
                XCTAssertEqual(s.pool.numUsedBlocks, 0, "blocks leaked")
            }
            for (id, want) in expected where !aborted.contains(String(id.prefix { $0 != "[" })) { XCTAssertEqual(outputs[id], want, "\(method) \(id)") }
            XCTAssertGreaterThan(steps, 2000)
            XCTAssertGreaterThan(preemptions, 0, "the small pools should preempt")
            XCTAssertGreaterThan(accepted, 200)
            XCTAssertLessThan(accepted, drafted, "some guesses should be rejected")
            XCTAssertLessThan(steps, outputs.values.reduce(0) { $0 + $1.count }, "speculation should save steps")
        }
    }

    /// Guesses never push a sequence past `max_tokens` or the context, and the budget counts them.
    func testGuessesStayWithinMaxTokensContextAndBudget() throws {
        let s = Scheduler(config: config(.ngram, numBlocks: 64, budget: 9))
        try s.add(EngineRequest(requestID: "short", promptTokenIDs: SchedulerTests.prompt(1, 4), maxTokens: 3, ignoreEOS: true))
        try s.add(EngineRequest(requestID: "long", promptTokenIDs: SchedulerTests.prompt(2, 190), maxTokens: 100, ignoreEOS: true))
        var rng = RandomSource(seed: 1)
        var outputs: [String: [Int32]] = [:]
        while s.hasWork {
            let out = s.schedule()
            XCTAssertLessThanOrEqual(out.numScheduledTokens, 9)
            for e in s.update(out, Self.fakeRun(s, out, rng: &rng, pRight: 1)) {
                if case .token(let t, _) = e.event { outputs[e.id.description, default: []].append(t) }
            }
        }
        XCTAssertEqual(outputs["short"], SchedulerTests.expected(SchedulerTests.prompt(1, 4), 3))
        XCTAssertEqual(outputs["long"], SchedulerTests.expected(SchedulerTests.prompt(2, 190), 10), "the context of 200 ends it")
    }

    /// Beyond `disable_by_batch_size` running and waiting requests, steps carry no guesses.
    func testSpeculationBacksOffWhenTheBatchIsWide() throws {
        let s = Scheduler(config: config(.ngram, numBlocks: 64, budget: 256, batch: 2))
        for i in 0 ..< 4 { try s.add(EngineRequest(requestID: "r\(i)", promptTokenIDs: SchedulerTests.prompt(i, 8), maxTokens: 40 - 8 * i, ignoreEOS: true)) }
        var rng = RandomSource(seed: 3)
        var asked: [Int] = []  // per step: running requests when it asked for guesses
        while s.hasWork {
            let out = s.schedule()
            let wide = s.running.count
            if out.scheduled.contains(where: { ($0.sample?.propose ?? 0) > 0 || !($0.sample?.draft.isEmpty ?? true) }) { asked.append(wide) }
            _ = s.update(out, Self.fakeRun(s, out, rng: &rng, pRight: 1))
        }
        XCTAssertFalse(asked.isEmpty, "the last two requests alone should speculate")
        XCTAssertTrue(asked.allSatisfy { $0 <= 2 }, "speculated with \(asked.max() ?? 0) running")
    }

    func testNgramLookup() {
        let t: [Int32] = [1, 2, 3, 4, 9, 9, 1, 2, 3, 5, 6, 1, 2, 3]
        // The latest earlier "1 2 3" is at 6; what followed: 5 6 1 2.
        XCTAssertEqual(NgramProposer.lookup(t, count: 4, minN: 2, maxN: 3), [5, 6, 1, 2])
        XCTAssertEqual(NgramProposer.lookup(t, count: 9, minN: 2, maxN: 3), [5, 6, 1, 2], "a 3-token match earns 4 guesses")
        XCTAssertEqual(NgramProposer.lookup([1, 2, 3, 1, 2, 3], count: 9, minN: 1, maxN: 8), [1, 2, 3], "stops at the end")
        XCTAssertEqual(NgramProposer.lookup([3, 1, 4, 5, 6, 7, 2, 4], count: 4, minN: 1, maxN: 4), [5, 6], "a 1-token match earns 2")
        XCTAssertEqual(NgramProposer.lookup([7, 8, 9], count: 4, minN: 1, maxN: 3), [], "nothing repeats")
        XCTAssertEqual(NgramProposer.lookup([5, 5, 5], count: 4, minN: 1, maxN: 2), [5], "a run continues itself")
        // The longest suffix wins: "4 1" occurred at 3, "1" alone last at 5 (followed by 7).
        XCTAssertEqual(NgramProposer.lookup([0, 4, 1, 8, 8, 1, 7, 4, 1], count: 1, minN: 1, maxN: 2), [8])
        XCTAssertEqual(NgramProposer.lookup([0, 4, 1, 8, 8, 1, 7, 4, 1], count: 1, minN: 1, maxN: 1), [7])
    }

    func testConfigParsing() throws {
        let c = try SpeculativeConfig(json: #"{"method": "ngram", "num_speculative_tokens": 3, "prompt_lookup_max": 5, "prompt_lookup_min": 2}"#)
        XCTAssertEqual(c, SpeculativeConfig(method: .ngram, numSpeculativeTokens: 3, promptLookupMin: 2, promptLookupMax: 5))
        XCTAssertEqual(try SpeculativeConfig(json: #"{"model": "d.gguf"}"#).method, .draft)
        XCTAssertEqual(try SpeculativeConfig(json: #"{"prompt_lookup_max": 1}"#).promptLookupMin, 1)
        for bad in [#"{"method": "eagle"}"#, #"{"num_speculative_tokens": 0}"#, #"{"prompt_lookup_min": 5, "prompt_lookup_max": 2}"#,
                    #"{"method": "draft"}"#, #"{"speculative_tokens": 2}"#, #"{"num_speculative_tokens": "4"}"#, "[1]", "{"] {
            XCTAssertThrowsError(try SpeculativeConfig(json: bad), bad)
        }
    }
}
