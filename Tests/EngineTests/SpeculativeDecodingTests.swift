import Engine
import Foundation
import JSON
import Loader
import TestSupport
import XCTest

/// Speculative decoding on real models: the output with guesses verified in the batch is the
/// output without them — greedy and seeded sampling, alone and 16 at a time, with prompt lookup
/// and with a draft model — and on a tiny checkpoint the sampled distribution is the target's.
final class SpeculativeDecodingTests: XCTestCase {
    /// The committed prompt set (input-grounded tasks and free chat), as raw text prompts.
    static func prompts(_ model: LoadedModel) throws -> [[Int32]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/speculative/prompts.json")
        let doc = try JSONField(parsing: Data(contentsOf: url), name: "prompts.json")
        return try doc.array().map { p in
            let text = try p["messages"].array()[0]["content"].string() + "\n\n"
            return model.tokenizer.encode(text, addSpecial: true, parseSpecial: false)
        }
    }

    static let lookup = SpeculativeConfig(method: .ngram, numSpeculativeTokens: 4, promptLookupMin: 2, promptLookupMax: 4, disableByBatchSize: 64)

    /// Greedy and seeded sampled requests over all 24 prompts: alone without speculation, alone
    /// with it, 16 at a time with it (the rest together after), and 16 at a time in a pool that
    /// forces preemption give the same tokens.
    func identity(_ file: String, speculative: SpeculativeConfig = lookup, draft: String? = nil) throws {
        let model = try ModelLoader.load(path: try requiredModel(file), options: LoadOptions(threads: 2))
        let draftModel = try draft.map { try ModelLoader.load(path: try requiredModel($0), options: LoadOptions(pool: model.pool)) }
        let prompts = try Self.prompts(model)
        XCTAssertGreaterThanOrEqual(prompts.count, 20)
        let requests = prompts.enumerated().map { i, p in
            // Every third request samples (seeded): its draws are the same with guesses too.
            EngineRequest(requestID: "p\(i)", promptTokenIDs: p,
                          sampling: i % 3 == 2 ? SamplingParams(temperature: 0.8, topK: 40, topP: 0.95, seed: UInt64(i)) : .greedy,
                          maxTokens: 40, eosTokenIDs: model.eosTokenIDs)
        }
        let blocks = 16 * 24 + 32
        var plain: [String: [Int32]] = [:], alone: [String: [Int32]] = [:], accepted = 0
        for r in requests {
            plain[r.requestID] = try BatchingEquivalenceTests.run(model, [r], numBlocks: blocks, budget: 512).outputs[r.requestID]
            let run = try BatchingEquivalenceTests.run(model, [r], numBlocks: blocks, budget: 512, speculative: speculative, draft: draftModel)
            alone[r.requestID] = run.outputs[r.requestID]
            accepted += run.accepted
        }
        XCTAssertEqual(alone, plain, "alone, with speculation")
        XCTAssertGreaterThan(accepted, 100, "guesses should be accepted on these prompts")
        var batched: [String: [Int32]] = [:]
        for group in [Array(requests.prefix(16)), Array(requests.dropFirst(16))] {
            let run = try BatchingEquivalenceTests.run(model, group, numBlocks: blocks, budget: 512, speculative: speculative, draft: draftModel)
            batched.merge(run.outputs) { a, _ in a }
        }
        XCTAssertEqual(batched, plain, "16 at a time, with speculation")
        // A pool too small for 16 at once: sequences are preempted mid-speculation and recomputed.
        let sizing = SchedulerConfig(maxNumBatchedTokens: 512, maxModelLen: 512, numBlocks: 0, kvGroups: model.model.kvLayout.groups)
        let largest = requests.map { sizing.blocksNeeded(tokens: $0.promptTokenIDs.count + $0.maxTokens) }.max() ?? 0
        let tight = try BatchingEquivalenceTests.run(model, Array(requests.prefix(16)), numBlocks: 3 * largest, budget: 512,
                                                     speculative: speculative, draft: draftModel)
        XCTAssertGreaterThan(tight.preemptions, 0, "the small pool should preempt")
        XCTAssertEqual(tight.outputs, plain.filter { tight.outputs[$0.key] != nil }, "with preemption")
        XCTAssertEqual(tight.outputs.count, 16)
    }

    func testPromptLookupKeepsSmolLM2Outputs() throws { try identity("SmolLM2-135M-Instruct.Q4_1.gguf") }

    func testPromptLookupKeepsGemma3Outputs() throws { try identity("gemma-3-270m-q4_k_m.gguf") }

    /// SmolLM2 guessing for itself: the draft model's cache follows the target's blocks through
    /// batching and prefix hits; its guesses are mostly right, and the output is unchanged.
    func testDraftModelKeepsOutputs() throws {
        let spec = SpeculativeConfig(method: .draft, numSpeculativeTokens: 3, model: "SmolLM2", disableByBatchSize: 64)
        try identity("SmolLM2-135M-Instruct.Q4_1.gguf", speculative: spec, draft: "SmolLM2-135M-Instruct.Q4_1.gguf")
    }

    func testDraftModelMustShareTheVocabularyAndLayout() throws {
        let smol = try ModelLoader.load(path: try requiredModel("SmolLM2-135M-Instruct.Q4_1.gguf"), options: LoadOptions(threads: 2))
        let gemma = try ModelLoader.load(path: try requiredModel("gemma-3-270m-q4_k_m.gguf"), options: LoadOptions(threads: 2))
        XCTAssertThrowsError(try SpeculativeConfig.check(draft: smol.model, for: gemma.model))
        XCTAssertThrowsError(try SpeculativeConfig.check(draft: gemma.model, for: smol.model))
        XCTAssertNoThrow(try SpeculativeConfig.check(draft: smol.model, for: smol.model))
    }

    /// At temperature 1, the fourth token of 5,000 independent requests (5 prompts that repeat,
    /// so guesses are made and mostly accepted, × 1,000 seeds) has the same distribution with
    /// speculation as, with other seeds, without it: a chi-square test of homogeneity per prompt,
    /// summed, at p > 0.01. (With the same seeds the tokens are identical, which `identity`
    /// shows.) SmolLM2 rather than a tiny random checkpoint: a random model's flat distributions
    /// would accept almost no guess.
    func testSampledDistributionIsTheTargets() throws {
        let model = try ModelLoader.load(path: try requiredModel("SmolLM2-135M-Instruct.Q4_1.gguf"), options: LoadOptions(threads: 2))
        let length = 4
        func requests(prompt k: Int, seed: UInt64) -> [EngineRequest] {
            let motif = (0 ..< 4).map { Int32(1000 + (k * 7 + $0 * 3) % 40) }
            return (0 ..< 1000).map { i in
                EngineRequest(requestID: "d\(i)", promptTokenIDs: Array(repeating: motif, count: 6).flatMap { $0 },
                              sampling: SamplingParams(temperature: 1, seed: seed &+ UInt64(i) &* 7919), maxTokens: length, ignoreEOS: true)
            }
        }
        func last(_ outputs: [String: [Int32]]) -> [Int32: Int] {
            outputs.values.reduce(into: [:]) { counts, tokens in
                XCTAssertEqual(tokens.count, length)
                if let t = tokens.last { counts[t, default: 0] += 1 }
            }
        }
        let spec = SpeculativeConfig(method: .ngram, numSpeculativeTokens: 4, promptLookupMin: 1, promptLookupMax: 3, disableByBatchSize: 10_000)
        var chi2 = 0.0, dof = 0, accepted = 0
        for k in 0 ..< 5 {
            let with = try BatchingEquivalenceTests.run(model, requests(prompt: k, seed: 1), numBlocks: 400, budget: 512, maxNumSeqs: 64,
                                                        speculative: spec)
            let without = try BatchingEquivalenceTests.run(model, requests(prompt: k, seed: 1_000_003), numBlocks: 400, budget: 512, maxNumSeqs: 64)
            accepted += with.accepted
            let (c, d) = ChiSquare.homogeneity(last(with.outputs), last(without.outputs), minExpected: 5)
            chi2 += c
            dof += d
        }
        XCTAssertGreaterThan(accepted, 1500, "guesses should be accepted often enough to matter")
        let p = ChiSquare.upperTail(chi2, dof: dof)
        XCTAssertGreaterThan(p, 0.01, "chi-square \(chi2) on \(dof) degrees of freedom")
    }
}

/// Pearson's chi-square test that two samples of categories come from one distribution.
enum ChiSquare {
    /// The statistic and degrees of freedom over categories whose expected counts reach
    /// `minExpected` in both samples (the rest pooled into one category).
    static func homogeneity(_ a: [Int32: Int], _ b: [Int32: Int], minExpected: Double) -> (Double, Int) {
        let na = Double(a.values.reduce(0, +)), nb = Double(b.values.reduce(0, +))
        var cells: [(Double, Double)] = [], pooled = (0.0, 0.0)
        for k in Set(a.keys).union(b.keys) {
            let x = Double(a[k] ?? 0), y = Double(b[k] ?? 0), total = x + y
            if total * min(na, nb) / (na + nb) >= minExpected { cells.append((x, y)) } else { pooled = (pooled.0 + x, pooled.1 + y) }
        }
        if pooled.0 + pooled.1 > 0 { cells.append(pooled) }
        var chi2 = 0.0
        for (x, y) in cells {
            let total = x + y
            let ea = total * na / (na + nb), eb = total * nb / (na + nb)
            chi2 += (x - ea) * (x - ea) / ea + (y - eb) * (y - eb) / eb
        }
        return (chi2, max(1, cells.count - 1))
    }

    /// P(X ≥ x) for X chi-square with `dof` degrees of freedom (Wilson–Hilferty: within ~1e-3
    /// of the exact tail for dof ≥ 10, enough to tell p = 0.01 apart).
    static func upperTail(_ x: Double, dof: Int) -> Double {
        let k = Double(dof)
        let z = (pow(x / k, 1.0 / 3) - (1 - 2 / (9 * k))) / (2 / (9 * k)).squareRoot()
        return 0.5 * erfc(z / 2.0.squareRoot())
    }
}
