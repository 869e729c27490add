import Engine
import Foundation
import Kernels
import Loader
import ModelFormats
import Models
import TestSupport
import XCTest

/// With the real SmolLM2 and the matmul path held fixed (GEMV: every row's arithmetic is
/// independent of the batch), concurrent requests produce exactly the tokens each produces
/// alone — also when the KV pool is so small that preemption happens, and with prefix hits.
final class BatchingEquivalenceTests: XCTestCase {
    static func model(path matmulPath: MatmulPath = .gemv) throws -> LoadedModel {
        let path = try requiredModel("SmolLM2-135M-Instruct.Q4_1.gguf")
        return try ModelLoader.load(path: path, options: LoadOptions(threads: 2, matmulPath: matmulPath))
    }

    /// Drives a scheduler and a runner over the real model; outputs by sequence (and the bits of
    /// their logprobs, for requests that ask for them).
    /// (`accepted`: guesses accepted, when `speculative` is set.)
    static func run(_ model: LoadedModel, _ requests: [EngineRequest], numBlocks: Int, budget: Int = 64,
             maxNumSeqs: Int = 16, kvCacheDType: KVCacheDType = .f32, speculative: SpeculativeConfig? = nil, draft: LoadedModel? = nil) throws
        -> (outputs: [String: [Int32]], logprobBits: [String: [UInt32]], preemptions: Int, cachedTokens: Int, accepted: Int) {
        let s = Scheduler(config: SchedulerConfig(maxNumSeqs: maxNumSeqs, maxNumBatchedTokens: budget, maxModelLen: 512,
                                                  blockSize: 16, numBlocks: numBlocks, kvGroups: model.model.kvLayout.groups,
                                                  speculative: speculative))
        let runner = ModelRunner(model: model.model, numBlocks: numBlocks, blockSize: 16, pool: model.pool, kvCacheDType: kvCacheDType,
                                 speculative: speculative, draftModel: draft?.model)
        for r in requests { try s.add(r) }
        var outputs: [String: [Int32]] = [:], bits: [String: [UInt32]] = [:]
        var preemptions = 0, cached = 0, accepted = 0
        while s.hasWork {
            let out = s.schedule()
            preemptions += out.preempted.count
            for item in out.scheduled where item.startPosition > 0 && s.state(item.id)?.outputTokenIDs.isEmpty == true {
                cached = max(cached, s.state(item.id)?.numCachedTokens ?? 0)
            }
            let result = try runner.execute(out)
            for item in out.scheduled { accepted += Scheduler.acceptedCount(item.sample?.draft ?? [], result.rows[item.id]?.tokens ?? []) }
            for e in s.update(out, result) {
                guard case .token(let t, let logprobs) = e.event else { continue }
                outputs[e.id.description, default: []].append(t)
                if let logprobs { bits[e.id.description, default: []].append(logprobs.logprob.bitPattern) }
            }
        }
        XCTAssertEqual(s.pool.numUsedBlocks, 0)
        return (outputs, bits, preemptions, cached, accepted)
    }

    func testConcurrentRequestsMatchAlone() throws {
        try concurrentRequestsMatchAlone(kvCacheDType: .f32)
    }

    /// The same in an f16 and a q8_0 cache: rows are stored and read the same way whatever
    /// the batch, prefix hits and preemption, so the answers still do not depend on them.
    func testConcurrentRequestsMatchAloneInF16AndQ8_0() throws {
        try concurrentRequestsMatchAlone(kvCacheDType: .f16)
        try concurrentRequestsMatchAlone(kvCacheDType: .q8_0)
    }

    func concurrentRequestsMatchAlone(kvCacheDType dtype: KVCacheDType) throws {
        let model = try Self.model()
        let shared: [Int32] = (0 ..< 40).map { Int32(300 + $0 * 13) }
        var requests: [EngineRequest] = []
        for i in 0 ..< 8 {
            let own = (0 ..< (3 + i * 5)).map { Int32(1000 + i * 97 + $0 * 7) }
            var p = SamplingParams(temperature: i % 2 == 0 ? 0 : 0.9, seed: UInt64(i))
            p.topK = 40
            requests.append(EngineRequest(requestID: "r\(i)", promptTokenIDs: (i < 4 ? shared : []) + own, sampling: p,
                                          maxTokens: 16, ignoreEOS: true))
        }
        var alone: [String: [Int32]] = [:]
        for r in requests { alone[r.requestID] = try Self.run(model, [r], numBlocks: 64, kvCacheDType: dtype).outputs[r.requestID] }
        let together = try Self.run(model, requests, numBlocks: 128, kvCacheDType: dtype)
        XCTAssertEqual(together.outputs, alone, "batched")
        XCTAssertGreaterThan(together.cachedTokens, 0, "the shared prefix should hit the cache")
        let tight = try Self.run(model, requests, numBlocks: 14, budget: 48, kvCacheDType: dtype)
        XCTAssertGreaterThan(tight.preemptions, 0, "the small pool should force preemption")
        XCTAssertEqual(tight.outputs, alone, "with preemption")
    }

    /// Penalties read a token history that the runner extends token by token (not rebuilt
    /// every step): penalized requests give the same tokens alone, batched and preempted, and
    /// the penalties act on what each generated (greedy without them repeats more).
    func testPenalizedRequestsKeepTheirHistory() throws {
        let model = try Self.model()
        var penalized = SamplingParams.greedy
        penalized.presencePenalty = 1.5
        penalized.frequencyPenalty = 1
        penalized.repetitionPenalty = 1.3
        let requests = (0 ..< 5).map { i in
            EngineRequest(requestID: "p\(i)", promptTokenIDs: (0 ..< 12 + i).map { Int32(500 + ($0 % 3) * 11) },
                          sampling: i == 0 ? .greedy : penalized, maxTokens: 40, ignoreEOS: true)
        }
        var alone: [String: [Int32]] = [:]
        for r in requests { alone[r.requestID] = try Self.run(model, [r], numBlocks: 64).outputs[r.requestID] }
        XCTAssertEqual(try Self.run(model, requests, numBlocks: 128).outputs, alone, "batched")
        let tight = try Self.run(model, requests, numBlocks: 12, budget: 48)
        XCTAssertGreaterThan(tight.preemptions, 0, "the small pool should force preemption")
        XCTAssertEqual(tight.outputs, alone, "with preemption")
        func mostRepeats(_ t: [Int32]) -> Int { Dictionary(t.map { ($0, 1) }, uniquingKeysWith: +).values.max() ?? 0 }
        let plain = mostRepeats(alone["p0"] ?? []), damped = requests.dropFirst().map { mostRepeats(alone[$0.requestID] ?? []) }.max() ?? 0
        XCTAssertGreaterThan(plain, damped, "plain greedy repeats a token \(plain) times, penalized ones at most \(damped)")
    }

    /// With the default kernel choice (GEMV at every batch size, attention by the same kernel
    /// for prompt chunks and decode), 16 greedy requests of 64 tokens are identical alone and
    /// batched in the server's default budget (2048-token prompt chunks).
    func testDefaultKernelsKeepContinuations() throws {
        let model = try Self.model(path: .auto)
        let requests = (0 ..< 16).map { i in
            EngineRequest(requestID: "d\(i)", promptTokenIDs: (0 ..< (12 + i * 3)).map { Int32(500 + i * 131 + $0 * 17) },
                          sampling: .greedy, maxTokens: 64, ignoreEOS: true)
        }
        var alone: [String: [Int32]] = [:]
        // The server's default token budget (2048) and a pool with room for all 16.
        for r in requests { alone[r.requestID] = try Self.run(model, [r], numBlocks: 64, budget: 2048).outputs[r.requestID] }
        let together = try Self.run(model, requests, numBlocks: 160, budget: 2048).outputs
        let identical = requests.filter { together[$0.requestID] == alone[$0.requestID] }.count
        XCTAssertEqual(identical, 16, "continuations identical alone and batched over 64 tokens")
    }

    /// Float weights (the tiny Qwen2 as an F32 GGUF and as a BF16 checkpoint) with the default
    /// kernel choice: requests batched, in prompt chunks of another size and preempted give the
    /// tokens each gives alone (their register tiles compute a pair the same way in any tile;
    /// before, runs of 32 rows and more took sgemm, whose sums depend on the row count).
    func testFloatWeightsMatchAloneWithDefaultKernels() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tiny-qwen2")
        for path in [fixtures.appendingPathComponent("model.gguf").path, fixtures.path] {
            let model = try ModelLoader.load(path: path, options: LoadOptions(threads: 2))
            let requests = (0 ..< 6).map { i in
                EngineRequest(requestID: "f\(i)", promptTokenIDs: (0 ..< (20 + i * 15)).map { Int32((37 + i * 53 + $0 * 11) % 600) },
                              sampling: .greedy, maxTokens: 24, ignoreEOS: true, logprobs: 0)
            }
            // The logprobs' bits as well as the tokens: a tiny random model's greedy tokens
            // survive last-bit differences that its logprobs show.
            var alone: [String: [UInt32]] = [:]
            for r in requests { alone[r.requestID] = try Self.run(model, [r], numBlocks: 64, budget: 2048).logprobBits[r.requestID] }
            XCTAssertEqual(alone.values.map(\.count), Array(repeating: 24, count: 6))
            XCTAssertEqual(try Self.run(model, requests, numBlocks: 128, budget: 2048).logprobBits, alone, "batched, \(path)")
            XCTAssertEqual(try Self.run(model, requests, numBlocks: 128, budget: 40).logprobBits, alone, "40-token chunks, \(path)")
            let tight = try Self.run(model, requests, numBlocks: 14, budget: 48)
            XCTAssertGreaterThan(tight.preemptions, 0, "the small pool should force preemption")
            XCTAssertEqual(tight.logprobBits, alone, "with preemption, \(path)")
        }
    }

    /// n = 3 seeded samples of one prompt (computed once, blocks shared, copy-on-write) equal
    /// three separate requests seeded seed, seed+1, seed+2 — so the shared K/V and the copied
    /// partial block hold exactly what each would have computed alone.
    func testParallelSamplesEqualSeparateRequests() throws {
        let model = try Self.model()
        let prompt: [Int32] = (0 ..< 37).map { Int32(700 + $0 * 11) }
        var params = SamplingParams(temperature: 0.9, seed: 5)
        params.topK = 50
        var forked = EngineRequest(requestID: "f", promptTokenIDs: prompt, sampling: params, maxTokens: 20, ignoreEOS: true)
        forked.n = 3
        let together = try Self.run(model, [forked], numBlocks: 32).outputs
        for i in 0 ..< 3 {
            var p = params
            p.seed = 5 + UInt64(i)
            let alone = try Self.run(model, [EngineRequest(requestID: "a", promptTokenIDs: prompt, sampling: p, maxTokens: 20, ignoreEOS: true)],
                                numBlocks: 32).outputs["a"]
            XCTAssertEqual(together[SequenceID("f", i).description], alone, "sample \(i)")
        }
    }

    /// Prompt logprobs (for echo): the log-softmax of the forward's logits at each prompt
    /// position, for the next prompt token — the same whether the prompt runs in one chunk
    /// or many, reported once each.
    func testPromptLogprobsMatchTheForwardAndChunking() throws {
        let loaded = try Self.model(), model = loaded.model
        let prompt: [Int32] = (0 ..< 45).map { Int32(900 + $0 * 19) }
        // Reference: one forward with logits for every row.
        let cache = model.makeCache(numBlocks: 8, blockSize: 16)
        var batch = ForwardBatch()
        batch.append(tokens: prompt, startPosition: 0, blockTable: Array(0 ..< 8), logitsFor: Array(0 ..< prompt.count))
        let logits = try model.forward(batch, cache: cache)
        let vocab = model.config.vocabularySize
        let reference = (1 ..< prompt.count).map { t in TokenLogprobs.compute(logits.pointer + (t - 1) * vocab, vocab: vocab, token: prompt[t], k: 2) }
        for budget in [512, 16] {
            let s = Scheduler(config: SchedulerConfig(maxNumSeqs: 4, maxNumBatchedTokens: budget, maxModelLen: 512, blockSize: 16, numBlocks: 16))
            let runner = ModelRunner(model: model, numBlocks: 16, blockSize: 16, pool: loaded.pool)
            var r = EngineRequest(requestID: "e", promptTokenIDs: prompt, sampling: .greedy, maxTokens: 2, ignoreEOS: true)
            r.promptLogprobs = 2
            try s.add(r)
            var got: [Int: TokenLogprobs] = [:]
            while s.hasWork {
                let out = s.schedule()
                for e in s.update(out, try runner.execute(out)) {
                    guard case .promptLogprobs(let first, let entries) = e.event else { continue }
                    for (j, entry) in entries.enumerated() {
                        XCTAssertNil(got[first + j], "reported twice")
                        got[first + j] = entry
                    }
                }
            }
            XCTAssertEqual(got.count, prompt.count - 1, "budget \(budget)")
            for t in 1 ..< prompt.count {
                guard let g = got[t] else { continue }
                XCTAssertEqual(g.logprob, reference[t - 1].logprob, accuracy: 1e-4, "token \(t) budget \(budget)")
                XCTAssertEqual(g.top.map(\.id), reference[t - 1].top.map(\.id))
            }
        }
    }
}
