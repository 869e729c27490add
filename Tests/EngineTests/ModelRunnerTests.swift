import Engine
import Foundation
import Kernels
import ModelFormats
import Models
import XCTest

/// The runner against a fake model: it asks the forward for exactly the rows it needs,
/// samples from them, hands forks their parent's row, reports prompt logprobs for the rows
/// the scheduler named, copies blocks first, and keeps per-sequence state only until told
/// a sequence finished.
final class ModelRunnerTests: XCTestCase {
    /// Each logits row favours (its token + 1) mod vocab by 10 over everything else (0), so
    /// greedy continues 5, 6, 7, …; the forward batches are recorded.
    final class FakeModel: LanguageModel, @unchecked Sendable {
        let config: ModelConfig
        var batches: [ForwardBatch] = []

        init() throws {
            let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/tiny-qwen2/model.gguf").path
            config = try ModelConfig.fromGGUF(GGUFFile(path: fixture), ropeNeox: true)
        }

        func forward(_ batch: ForwardBatch, cache: PagedKVCache) throws -> FloatBuffer {
            batches.append(batch)
            let vocab = config.vocabularySize, rows = batch.logitRows
            let logits = FloatBuffer(count: rows.count * vocab)  // (rows, vocab)
            for (i, r) in rows.enumerated() { logits[i * vocab + (Int(batch.tokenIDs[r]) + 1) % vocab] = 10 }
            return logits
        }
    }

    let pool = ComputePool(threadCount: 2)

    func item(_ id: SequenceID, _ tokens: [Int32], at start: Int = 0, sample: SampleSpec? = SampleSpec(params: .greedy),
              new request: EngineRequest? = nil) -> ScheduledRequest {
        var item = ScheduledRequest(id: id, tokenIDs: tokens, startPosition: start, blockTable: [0, 1, 2, 3])
        item.sample = sample
        item.newRequest = request
        return item
    }

    func testRowsSamplesAndForks() throws {
        let model = try FakeModel()
        let runner = ModelRunner(model: model, numBlocks: 8, blockSize: 16, pool: pool)
        var out = SchedulerOutput()
        out.scheduled = [item(SequenceID("chunk"), [7, 8, 9], sample: nil),           // mid-prompt: no logits
                         item(SequenceID("a"), [3, 4], at: 10),                        // last prompt chunk: sample after 4
                         item(SequenceID("a", 1), [], at: 12, sample: SampleSpec(params: .greedy, logitsFrom: SequenceID("a"))),
                         item(SequenceID("b"), [20], at: 30, sample: SampleSpec(params: .greedy, logprobs: 2))]
        let result = try runner.execute(out)
        XCTAssertEqual(model.batches.count, 1)
        XCTAssertEqual(model.batches[0].logitRows, [4, 5], "logits only for the sampling rows")
        XCTAssertEqual(result.rows[SequenceID("a")]?.tokens, [5])
        XCTAssertEqual(result.rows[SequenceID("a", 1)]?.tokens, [5], "the fork samples from its parent's row")
        XCTAssertEqual(result.rows[SequenceID("b")]?.tokens, [21])
        XCTAssertEqual(result.rows[SequenceID("b")]?.logprobs.first?.top.first?.id, 21)
        XCTAssertNil(result.rows[SequenceID("chunk")], "nothing for a sequence that does not sample")
    }

    func testPromptLogprobsForTheNamedRows() throws {
        let model = try FakeModel()
        let runner = ModelRunner(model: model, numBlocks: 8, blockSize: 16, pool: pool)
        var out = SchedulerOutput()
        var chunk = item(SequenceID("p"), [10, 11, 12, 13], sample: nil)
        // Rows 1 and 2 predict prompt tokens 2 and 3 (12 and 99).
        chunk.promptLogprobs = PromptLogprobsSpec(k: 1, firstRow: 1, firstToken: 2, targets: [12, 99])
        out.scheduled = [chunk]
        let result = try runner.execute(out)
        XCTAssertEqual(model.batches[0].logitRows, [1, 2])
        let entries = try XCTUnwrap(result.rows[SequenceID("p")]?.promptLogprobs)
        XCTAssertEqual(entries.count, 2)
        XCTAssertGreaterThan(entries[0].logprob, -0.05, "12 is what row 1 favours")
        XCTAssertLessThan(entries[1].logprob, -5, "99 is not what row 2 favours")
        XCTAssertEqual(entries[1].top.first?.id, 13)
    }

    func testCopiesComeBeforeTheForward() throws {
        let model = try FakeModel()
        let runner = ModelRunner(model: model, numBlocks: 8, blockSize: 16, pool: pool)
        let blockBytes = runner.cache.blockSize * runner.cache.rowBytes
        runner.cache.keys[0].storeBytes(of: 42, toByteOffset: 2 * blockBytes, as: Float.self)
        var out = SchedulerOutput()
        out.copies = [(src: 2, dst: 5)]
        out.scheduled = [item(SequenceID("a"), [1])]
        _ = try runner.execute(out)
        XCTAssertEqual(runner.cache.keys[0].load(fromByteOffset: 5 * blockBytes, as: Float.self), 42)
    }

    /// A seeded sequence's stream lives in the runner from its first schedule until the
    /// scheduler reports it finished; a new sequence under the same id starts afresh.
    func testSeededStreamsAndFinishedSequences() throws {
        let model = try FakeModel()
        let runner = ModelRunner(model: model, numBlocks: 8, blockSize: 16, pool: pool)
        var hot = SamplingParams(temperature: 50, seed: 9)  // near-uniform: the seed decides
        hot.topK = 0
        let request = EngineRequest(requestID: "s", promptTokenIDs: [1], sampling: hot)
        func draws(_ steps: Int, finishFirst: Bool) throws -> [Int32] {
            var tokens: [Int32] = []
            for step in 0 ..< steps {
                var out = SchedulerOutput()
                if step == 0 && finishFirst { out.finished = [SequenceID("s")] }
                out.scheduled = [item(SequenceID("s"), [1], at: step, sample: SampleSpec(params: hot), new: step == 0 ? request : nil)]
                tokens += try runner.execute(out).rows[SequenceID("s")]?.tokens ?? []
            }
            return tokens
        }
        let first = try draws(6, finishFirst: false)
        let again = try draws(6, finishFirst: true)
        XCTAssertEqual(first, again, "the same seed from a fresh state")
        XCTAssertGreaterThan(Set(first).count, 1, "the stream advances between steps")
    }

    /// Penalized sequences: the runner's history grows with each sampled token, so a token it
    /// just sampled is penalized on the next step.
    func testPenaltyHistoryGrowsWithSampledTokens() throws {
        let model = try FakeModel()
        let runner = ModelRunner(model: model, numBlocks: 8, blockSize: 16, pool: pool)
        var p = SamplingParams.greedy
        p.presencePenalty = 20  // more than the favoured token's margin of 10
        let request = EngineRequest(requestID: "r", promptTokenIDs: [4], sampling: p)
        var out = SchedulerOutput()
        out.scheduled = [item(SequenceID("r"), [4], sample: SampleSpec(params: p), new: request)]
        XCTAssertEqual(try runner.execute(out).rows[SequenceID("r")]?.tokens, [5])
        out.scheduled = [item(SequenceID("r"), [4], at: 1, sample: SampleSpec(params: p))]
        XCTAssertNotEqual(try runner.execute(out).rows[SequenceID("r")]?.tokens, [5], "5 was generated: now penalized")
    }
}
