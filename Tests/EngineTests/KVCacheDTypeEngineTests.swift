import Engine
import Foundation
import Kernels
import Loader
import Models
import TestSupport
import XCTest

/// The engine on the real models with an f16 or q8_0 KV cache: `auto` picks f16 for the
/// quantized files, and every prompt token's log-probability (chunked prefill: later chunks
/// read what earlier ones stored, through converted rows and through the cache walk) stays
/// close to the f32 cache's. Greedy tokens may differ between dtypes; logits must not drift.
final class KVCacheDTypeEngineTests: XCTestCase {
    /// Prompt log-probabilities (one per prompt token after the first) through an engine.
    static func promptLogprobs(_ model: LoadedModel, _ prompt: [Int32], dtype: KVCacheDType, budget: Int = 40) throws -> [Float] {
        let engine = model.makeEngine(SchedulerConfig(maxNumSeqs: 4, maxNumBatchedTokens: budget, maxModelLen: 512, blockSize: 16,
                                                      numBlocks: 64, kvCacheDType: dtype))
        defer { engine.shutdown() }
        var request = EngineRequest(requestID: "p", promptTokenIDs: prompt, maxTokens: 1, ignoreEOS: true)
        request.promptLogprobs = 0
        let collected = Collected()
        try engine.submit(request) { collected.take($0) }
        XCTAssertTrue(collected.done.wait(timeout: .now() + 120) == .success, "the engine did not finish")
        return collected.logprobs
    }

    final class Collected: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var values: [Float] = []
        var logprobs: [Float] { lock.lock(); defer { lock.unlock() }; return values }
        func take(_ event: EngineEvent) {
            switch event {
            case .promptLogprobs(_, let rows): lock.lock(); values += rows.map(\.logprob); lock.unlock()
            case .finished, .failed: done.signal()
            case .token, .scheduled, .embedding: break
            }
        }
    }

    /// (largest, mean) |a - b| over the prompt tokens.
    static func drift(_ a: [Float], _ b: [Float]) -> (max: Float, mean: Float) {
        let d = zip(a, b).map { abs($0 - $1) }
        return (d.max() ?? .infinity, d.reduce(0, +) / Float(max(1, d.count)))
    }

    /// Rechunking a prompt changes no bit in any cache dtype (budget 40: prompt chunks read the
    /// cache's rows converted once, `tern_attention_group_flat`; budget 15: every row walks the
    /// cache). The bar for the dtypes is the noise of another summation order: the same prompt
    /// through dequantize + sgemm (`--matmul-path gemm`) with an f32 cache. f16 stays within
    /// 1.5× of that on average, q8_0 within 2×.
    func testLogprobsStayWithinTheF32CachesOwnNoise() throws {
        for name in ["SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"] {
            let path = try requiredModel(name)
            let model = try ModelLoader.load(path: path, options: LoadOptions(threads: 2))
            XCTAssertEqual(model.kvCacheDType, .f16, "auto is f16 for a quantized file")
            let text = try String(contentsOf: GreedyGoldenTests.fixtures.appendingPathComponent("eval-text.txt"), encoding: .utf8)
            let prompt = Array(model.tokenizer.encode(text, addSpecial: true, parseSpecial: false).prefix(150))
            let reference = try Self.promptLogprobs(model, prompt, dtype: .f32)
            XCTAssertEqual(reference.count, prompt.count - 1)
            XCTAssertEqual(try Self.promptLogprobs(model, prompt, dtype: .f32, budget: 15), reference, "\(name): f32 rechunked")
            let gemm = try ModelLoader.load(path: path, options: LoadOptions(threads: 2, matmulPath: .gemm))
            let noise = Self.drift(try Self.promptLogprobs(gemm, prompt, dtype: .f32), reference)
            XCTAssertGreaterThan(noise.max, 0, "\(name): GEMM sums in another order")
            for (dtype, factor) in [(KVCacheDType.f16, Float(1.5)), (.q8_0, 2)] {
                let got = try Self.promptLogprobs(model, prompt, dtype: dtype)
                XCTAssertEqual(got.count, reference.count)
                XCTAssertEqual(try Self.promptLogprobs(model, prompt, dtype: dtype, budget: 15), got, "\(name) \(dtype) rechunked")
                let d = Self.drift(got, reference)
                print("\(name) \(dtype): |Δ log p| max \(d.max) mean \(d.mean); f32 through GEMM: max \(noise.max) mean \(noise.mean)")
                XCTAssertLessThan(d.mean, factor * noise.mean, "\(name) \(dtype)")
                XCTAssertLessThan(d.max, (factor + 0.5) * noise.max, "\(name) \(dtype)")
                XCTAssertGreaterThan(d.max, 0, "\(name) \(dtype): the cache really is \(dtype)")
            }
        }
    }
}
