import Engine
import Foundation
import Kernels
import Loader
import Models
import TestSupport
import Tokenizers
import XCTest

/// Issue 16's guarantee on the default path (`auto` kernels, the model's own KV dtype): a
/// greedy and a seeded sampled request give the same tokens — and the same logprobs, to the
/// bit — (a) alone on a fresh engine, (b) again with the prefix cache warm, (c) after prompts of
/// other lengths sharing its prefix filled the cache in other chunks, (d) in a batch of 16,
/// (e) under KV pressure with preemption, (f) as one of n = 4, and (g) from a new `tern run`
/// process started while two other processes keep both cores busy. On both real models.
final class ReproducibilityTests: XCTestCase {
    static let models = ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"]
    static let text = "Rivers carve valleys over thousands of years, carrying silt from the mountains to the sea. "
        + "Towns grew along their banks because water meant trade, food and power for mills. Write two sentences about rivers."
    static let sampled = SamplingParams(temperature: 0.8, topK: 0, topP: 0.9, minP: 0, seed: 77)

    /// What a request produced: its tokens and each one's logprob (the bits of its logits row).
    struct Answer: Equatable {
        var tokens: [Int32] = []
        var logprobs: [Float] = []
    }

    /// A scheduler and runner kept across `run` calls, so that the prefix cache persists.
    final class Rig {
        let scheduler: Scheduler
        let runner: ModelRunner
        private(set) var preemptions = 0
        /// The most prompt tokens any request found cached.
        private(set) var cachedTokens = 0

        /// `numBlocks` blocks of positions' worth of memory (in the model's KV layout, a block of
        /// positions takes one block per table).
        init(_ l: LoadedModel, numBlocks: Int, budget: Int, maxNumSeqs: Int = 16, maxModelLen: Int = 512) {
            let layout = l.model.kvLayout
            scheduler = Scheduler(config: SchedulerConfig(maxNumSeqs: maxNumSeqs, maxNumBatchedTokens: budget, maxModelLen: maxModelLen,
                                                          blockSize: 16, numBlocks: numBlocks * layout.numTables, kvCacheDType: l.kvCacheDType,
                                                          kvGroups: layout.groups))
            runner = ModelRunner(model: l.model, numBlocks: numBlocks * layout.numTables, blockSize: 16, pool: l.pool, kvCacheDType: l.kvCacheDType)
        }

        /// Runs `requests` to the end together; answers by sequence ("id", or "id.i" for forks).
        /// `onStep` sees each step's output before it runs.
        func run(_ requests: [EngineRequest], onStep: ((Scheduler, SchedulerOutput) -> Void)? = nil) throws -> [String: Answer] {
            for r in requests { try scheduler.add(r) }
            var answers: [String: Answer] = [:]
            while scheduler.hasWork {
                let out = scheduler.schedule()
                onStep?(scheduler, out)
                preemptions += out.preempted.count
                for item in out.scheduled { cachedTokens = max(cachedTokens, scheduler.state(item.id)?.numCachedTokens ?? 0) }
                for e in scheduler.update(out, try runner.execute(out)) {
                    guard case .token(let t, let lp) = e.event else { continue }
                    answers[e.id.description, default: Answer()].tokens.append(t)
                    answers[e.id.description, default: Answer()].logprobs.append(lp?.logprob ?? .nan)
                }
            }
            return answers
        }
    }

    static func load(_ name: String) throws -> LoadedModel {
        try ModelLoader.load(path: try requiredModel(name), options: LoadOptions(threads: 2))
    }

    static func prompt(_ l: LoadedModel) -> [Int32] { l.tokenizer.encode(text, addSpecial: true, parseSpecial: false) }

    /// The two requests under test: greedy and seeded sampling, 24 tokens with their logprobs.
    static func targets(_ l: LoadedModel, n: Int = 1) -> [EngineRequest] {
        [("greedy", SamplingParams.greedy), ("seeded", sampled)].map { id, p in
            var r = EngineRequest(requestID: id, promptTokenIDs: prompt(l), sampling: p, maxTokens: 24, ignoreEOS: true, logprobs: 1)
            r.n = n
            return r
        }
    }

    /// Other requests: `count` prompts of other lengths, some sharing the target's first tokens.
    static func others(_ l: LoadedModel, count: Int, maxTokens: Int = 12) -> [EngineRequest] {
        let p = prompt(l)
        return (0 ..< count).map { i in
            let shared = i % 2 == 0 ? Array(p.prefix(5 + i * 7 % max(1, p.count - 5))) : []
            let own = (0 ..< (3 + i * 5)).map { Int32(400 + i * 97 + $0 * 13) }
            var s = sampled
            s.seed = UInt64(i)
            return EngineRequest(requestID: "o\(i)", promptTokenIDs: shared + own, sampling: i % 3 == 0 ? .greedy : s,
                                 maxTokens: maxTokens, ignoreEOS: true)
        }
    }

    /// (a) each target alone on a fresh engine: the reference.
    static func alone(_ l: LoadedModel) throws -> [String: Answer] {
        var answers: [String: Answer] = [:]
        for r in targets(l) { answers[r.requestID] = try Rig(l, numBlocks: 64, budget: 2048).run([r])[r.requestID] }
        return answers
    }

    func check(_ got: [String: Answer], _ reference: [String: Answer], _ what: String, model: String) {
        for id in ["greedy", "seeded"] {
            XCTAssertEqual(reference[id]?.tokens.count, 24, "\(model): \(id) alone")
            XCTAssertEqual(got[id], reference[id], "\(model): \(id) \(what)")
        }
    }

    func testSameAnswerWarmCacheOtherChunksBatchPressureAndForks() throws {
        for name in Self.models {
            let l = try Self.load(name)
            let reference = try Self.alone(l)
            XCTAssertNotEqual(reference["greedy"]?.tokens, reference["seeded"]?.tokens, "\(name): the seeded request should sample")
            // (b) again on the same engine: the prompt's full blocks come from the cache.
            let warm = Rig(l, numBlocks: 64, budget: 2048)
            _ = try warm.run(Self.targets(l))
            check(try warm.run(Self.targets(l)), reference, "with the prefix cache warm", model: name)
            XCTAssertGreaterThanOrEqual(warm.cachedTokens, 32, "\(name): the second run should hit the cache")
            // (c) prompts of other lengths sharing the target's prefix fill the cache in 7-token
            // chunks first; the targets then run in 7-token chunks from their cached blocks.
            let filled = Rig(l, numBlocks: 128, budget: 7)
            let p = Self.prompt(l)
            for (i, k) in [17, 20, 33, 40, p.count - 1].enumerated() where k < p.count {
                let r = EngineRequest(requestID: "fill\(i)", promptTokenIDs: Array(p.prefix(k)) + [Int32(600 + i)], sampling: .greedy,
                                      maxTokens: 3, ignoreEOS: true)
                _ = try filled.run([r])
            }
            check(try filled.run(Self.targets(l)), reference, "after other prompts filled the cache", model: name)
            XCTAssertGreaterThanOrEqual(filled.cachedTokens, 32, "\(name): the targets should hit blocks the others computed")
            // (d) in one batch of 16 with 14 other requests, the server's default budget.
            let batch = Rig(l, numBlocks: 256, budget: 2048)
            check(try batch.run(Self.others(l, count: 14) + Self.targets(l)), reference, "in a batch of 16", model: name)
            // (e) a pool too small for all of them: requests are preempted and recomputed.
            let tight = Rig(l, numBlocks: 16, budget: 48)
            check(try tight.run(Self.targets(l) + Self.others(l, count: 10, maxTokens: 20)), reference, "under KV pressure", model: name)
            XCTAssertGreaterThan(tight.preemptions, 0, "\(name): the small pool should force preemption")
            // (f) as one of n = 4: greedy samples all equal the greedy answer; seeded sample i
            // uses seed + i, so sample 0 equals the seeded answer.
            let forks = try Rig(l, numBlocks: 64, budget: 2048).run(Self.targets(l, n: 4))
            check(forks, reference, "as one of n = 4", model: name)
            for i in 1 ..< 4 { XCTAssertEqual(forks[SequenceID("greedy", i).description], reference["greedy"], "\(name): greedy sample \(i) of 4") }
            XCTAssertEqual(Set((0 ..< 4).compactMap { forks[SequenceID("seeded", $0).description]?.tokens }).count, 4,
                           "\(name): four seeds, four samples")
        }
    }

    /// (g) `tern run` in a new process, once on an idle machine and once while two busy loops
    /// hold both cores, prints the text this process's engine produces for the same request.
    func testNewProcessUnderLoadMatches() throws {
        let tern = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tern")
        guard FileManager.default.isExecutableFile(atPath: tern.path) else {
            throw NSError(domain: "Reproducibility", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "no tern executable beside the tests at \(tern.path): build with `swift build -c release --build-tests`"])
        }
        for name in Self.models {
            let path = try requiredModel(name)
            let l = try Self.load(name)
            var expected: [String: String] = [:]
            for (id, p) in [("greedy", SamplingParams.greedy), ("seeded", Self.sampled)] {
                let r = EngineRequest(requestID: id, promptTokenIDs: l.tokenizer.encode(Self.text, addSpecial: true, parseSpecial: true),
                                      sampling: p, maxTokens: 24, eosTokenIDs: l.eosTokenIDs)
                var detokenizer = IncrementalDetokenizer(tokenizer: l.tokenizer)
                let tokens = try Rig(l, numBlocks: 64, budget: 2048).run([r])[id]?.tokens ?? []
                expected[id] = tokens.filter { !l.tokenizer.eogTokenIDs.contains($0) }.map { detokenizer.push($0) }.joined()
                    + detokenizer.finish() + "\n"
            }
            for busy in [false, true] {
                let loops = busy ? try (0 ..< 2).map { _ in try Self.start("/bin/sh", ["-c", "while :; do :; done"]) } : []
                defer { for p in loops { p.terminate(); p.waitUntilExit() } }
                for (id, p) in [("greedy", SamplingParams.greedy), ("seeded", Self.sampled)] {
                    var args = ["run", "--model", path, "--prompt", Self.text, "--max-tokens", "24", "--temperature", "\(p.temperature)",
                                "--top-k", "0", "--top-p", "\(p.topP)", "--min-p", "0"]
                    if let seed = p.seed { args += ["--seed", "\(seed)"] }
                    let run = try Self.start(tern.path, args)
                    let out = (run.standardOutput as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data()
                    run.waitUntilExit()
                    XCTAssertEqual(run.terminationStatus, 0, "\(name): tern run \(id)")
                    XCTAssertEqual(String(decoding: out, as: UTF8.self), expected[id], "\(name): \(id) in a new process, \(busy ? "cores busy" : "idle")")
                }
            }
        }
    }

    static func start(_ executable: String, _ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.standardOutput = Pipe()
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }
}
