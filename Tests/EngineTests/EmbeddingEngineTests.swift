import Engine
import Foundation
import Kernels
import Loader
import Models
import TestSupport
import XCTest

/// Embedding requests on the real SmolLM2: prompt-only work whose pooled vector is the same
/// alone, batched with generation requests (chunked differently, beside other rows), after a
/// prefix-cache hit and after preemption; they leave no block behind and do not change what
/// the generation requests beside them produce.
final class EmbeddingEngineTests: XCTestCase {
    /// Runs `requests` to the end; the vectors and generated tokens by request.
    static func run(_ model: LoadedModel, _ requests: [EngineRequest], numBlocks: Int = 128, budget: Int = 64, chunked: Bool = true)
        throws -> (vectors: [String: [Float]], tokens: [String: [Int32]], preemptions: Int, finished: Int, cachedTokens: Int) {
        var config = SchedulerConfig(maxNumSeqs: 16, maxNumBatchedTokens: budget, maxModelLen: 512,
                                     blockSize: 16, numBlocks: numBlocks, kvGroups: model.model.kvLayout.groups)
        config.chunkedPrefill = chunked
        let s = Scheduler(config: config)
        let runner = ModelRunner(model: model.model, numBlocks: numBlocks, blockSize: 16, pool: model.pool)
        for r in requests { try s.add(r) }
        var vectors: [String: [Float]] = [:], tokens: [String: [Int32]] = [:]
        var preemptions = 0, finished = 0, cached = 0
        while s.hasWork {
            let out = s.schedule()
            preemptions += out.preempted.count
            for item in out.scheduled where item.newRequest?.embed != nil { cached += s.state(item.id)?.numCachedTokens ?? 0 }
            for item in out.scheduled where item.pool != nil {
                XCTAssertNil(item.sample, "an embedding request never samples")
                if !chunked { XCTAssertTrue(item.startPosition == 0 && item.pool?.completesPrompt == true, "an encoder's prompt comes whole") }
            }
            for e in s.update(out, try runner.execute(out)) {
                switch e.event {
                case .embedding(let v): vectors[e.id.requestID] = v
                case .token(let t, _): tokens[e.id.requestID, default: []].append(t)
                case .finished(let reason, _, let completion) where vectors[e.id.requestID] != nil:
                    XCTAssertEqual(reason, .stop)
                    XCTAssertEqual(completion, 0)
                    finished += 1
                default: break
                }
            }
        }
        XCTAssertEqual(s.pool.numUsedBlocks, 0, "no block is held after the requests end")
        return (vectors, tokens, preemptions, finished, cached)
    }

    static func embedding(_ id: String, _ prompt: [Int32], _ pooling: Pooling) -> EngineRequest {
        var r = EngineRequest(requestID: id, promptTokenIDs: prompt, maxTokens: 0)
        r.embed = pooling
        return r
    }

    static func prompt(_ seed: Int, _ count: Int) -> [Int32] { (0 ..< count).map { Int32(200 + (seed * 131 + $0 * 17) % 9000) } }

    func testVectorsAloneEqualBatchedWithGeneration() throws {
        let model = try BatchingEquivalenceTests.model()
        var embeds: [EngineRequest] = []
        for (i, pooling) in [Pooling.last, .mean, .cls, .last, .mean].enumerated() {
            embeds.append(Self.embedding("e\(i)", Self.prompt(i, 5 + i * 23), pooling))
        }
        let generations = (0 ..< 3).map { i in
            EngineRequest(requestID: "g\(i)", promptTokenIDs: Self.prompt(10 + i, 7 + i * 9), maxTokens: 12, ignoreEOS: true)
        }
        var alone: [String: [Float]] = [:], aloneTokens: [String: [Int32]] = [:]
        for r in embeds {
            let result = try Self.run(model, [r], budget: 256)
            XCTAssertEqual(result.finished, 1)
            alone[r.requestID] = result.vectors[r.requestID]
        }
        for r in generations { aloneTokens[r.requestID] = try Self.run(model, [r]).tokens[r.requestID] }
        for (id, v) in alone {
            XCTAssertEqual(v.count, model.model.config.embeddingLength)
            let norm = v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-5, "\(id) is L2-normalized")
        }
        XCTAssertNotEqual(alone["e1"], alone["e4"], "different prompts, different vectors")

        // Mixed and interleaved, with a small budget: embedding prompts are chunked beside decode rows.
        let together = try Self.run(model, [generations[0], embeds[0], embeds[1], generations[1], embeds[2], embeds[3], generations[2], embeds[4]],
                                    budget: 24)
        XCTAssertEqual(together.vectors, alone, "batched and chunked")
        XCTAssertEqual(together.tokens, aloneTokens, "generation beside embeddings is unchanged")
        XCTAssertEqual(together.finished, embeds.count)

        let tight = try Self.run(model, generations + embeds, numBlocks: 10, budget: 32)
        XCTAssertGreaterThan(tight.preemptions, 0, "the small pool should force preemption")
        XCTAssertEqual(tight.vectors, alone, "with preemption")
        XCTAssertEqual(tight.tokens, aloneTokens)
    }

    /// The pooled vector is the pooling of the forward's own hidden states (one pass over the
    /// whole prompt), and a last-token embedding after a prefix-cache hit equals the one without.
    func testPoolingMatchesOnePassAndPrefixHits() throws {
        let model = try BatchingEquivalenceTests.model()
        let m = model.model, width = m.config.embeddingLength
        let prompt = Self.prompt(3, 40)
        let cache = m.makeCache(numBlocks: 4, blockSize: 16)
        var batch = ForwardBatch()
        batch.append(tokens: prompt, startPosition: 0, blockTables: [[0, 1, 2]], logitsFor: [], hiddenFor: Array(0 ..< prompt.count))
        let hidden = try m.forwardWithHidden(batch, cache: cache).hidden  // (40, width)
        func normalized(_ v: [Double]) -> [Float] {
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { Float($0 / n) }
        }
        let mean = normalized((0 ..< width).map { j in (0 ..< prompt.count).reduce(0.0) { $0 + Double(hidden[$1 * width + j]) } })
        let last = normalized((0 ..< width).map { Double(hidden[(prompt.count - 1) * width + $0]) })
        let cls = normalized((0 ..< width).map { Double(hidden[$0]) })
        let got = try Self.run(model, [Self.embedding("m", prompt, .mean), Self.embedding("l", prompt, .last), Self.embedding("c", prompt, .cls)],
                               budget: 16).vectors
        for (id, want) in [("m", mean), ("l", last), ("c", cls)] {
            let v = try XCTUnwrap(got[id])
            XCTAssertEqual(zip(v, want).map { abs($0 - $1) }.max() ?? 1, 0, accuracy: 1e-6, id)
        }
        // A generation request leaves its prompt in the prefix cache; the embedding reuses it.
        let warm = EngineRequest(requestID: "warm", promptTokenIDs: prompt + [5, 6], maxTokens: 1)
        let hit = try Self.run(model, [warm, Self.embedding("l", prompt, .last)], budget: warm.promptTokenIDs.count)
        XCTAssertEqual(hit.cachedTokens, 32, "the embedding's first two blocks come from the cache")
        XCTAssertEqual(hit.vectors["l"], got["l"])
    }

    /// The tiny BERT encoder through the scheduler without chunking: whole prompts (waiting when the
    /// budget is short), vectors within 1e-4 of NumPy's mean pooling, the same alone and batched.
    func testEncoderPromptsComeWholeAndMatchNumPy() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
        let model = try ModelLoader.load(path: fixtures.appendingPathComponent("tiny-bert/model.gguf").path,
                                         options: LoadOptions(threads: 2, matmulPath: .gemv))
        XCTAssertFalse(model.model.generates)
        let data = try Data(contentsOf: fixtures.appendingPathComponent("tiny-bert/reference.json"))
        let sequences = try XCTUnwrap((JSONSerialization.jsonObject(with: data) as? [String: Any])?["sequences"] as? [[String: Any]])
        var requests: [EngineRequest] = [], want: [String: [Double]] = [:]
        for (i, s) in sequences.enumerated() {
            let text = try XCTUnwrap(s["text"] as? String)
            XCTAssertEqual(model.tokenizer.encode(text, addSpecial: true, parseSpecial: false).map(Int.init), s["token_ids"] as? [Int])
            requests.append(Self.embedding("b\(i)", try XCTUnwrap(s["token_ids"] as? [Int]).map(Int32.init), .mean))
            want["b\(i)"] = try XCTUnwrap(s["mean"] as? [Double])
        }
        var alone: [String: [Float]] = [:]
        for r in requests { alone[r.requestID] = try Self.run(model, [r], budget: 64, chunked: false).vectors[r.requestID] }
        for (id, v) in alone {
            let w = try XCTUnwrap(want[id])
            XCTAssertLessThan(zip(v, w).map { abs(Double($0) - $1) }.max() ?? 1, 1e-4, id)
        }
        // A budget of the longest prompt: the others wait for a step with room instead of being cut.
        let longest = requests.map(\.promptTokenIDs.count).max() ?? 1
        XCTAssertEqual(try Self.run(model, requests + requests.map { var r = $0; r.requestID += "x"; return r }, budget: longest,
                                    chunked: false).vectors.filter { !$0.key.hasSuffix("x") }, alone)
    }

    func testRequestChecks() throws {
        let config = SchedulerConfig(maxModelLen: 8, numBlocks: 8)
        var twice = Self.embedding("e", [1, 2, 3], .mean)
        twice.n = 2
        XCTAssertThrowsError(try Scheduler.check(twice, config: config), "an embedding has one vector")
        XCTAssertNoThrow(try Scheduler.check(Self.embedding("e", Array(repeating: 1, count: 8), .last), config: config),
                         "an embedding may fill the context: no token follows it")
        XCTAssertThrowsError(try Scheduler.check(Self.embedding("e", Array(repeating: 1, count: 9), .last), config: config))
        XCTAssertThrowsError(try Scheduler.check(EngineRequest(requestID: "g", promptTokenIDs: Array(repeating: 1, count: 8)), config: config))
    }
}
