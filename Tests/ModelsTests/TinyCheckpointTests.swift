import Foundation
import Kernels
import ModelFormats
import Models
import Tokenizers
import XCTest

/// GPT-2, Qwen2, Llama, Qwen3, Phi-3, SmolLM3 and Gemma 3 against the NumPy reference forward pass of scripts/golden/
/// make_tiny_checkpoints.py, on tiny random checkpoints (Tests/Fixtures/tiny-<model>): the
/// logits of every position within 1e-4 of the largest reference logit, through each matmul
/// path, from the safetensors folder and from its GGUF conversion (scripts/golden/make_tiny_gguf.py).
final class TinyCheckpointTests: XCTestCase {
    struct Reference {
        let tokens: [Int32]
        let logits: [[Double]]
    }

    static func references(_ model: String) throws -> [Reference] {
        let json = try XCTUnwrap(TestModels.json("\(model)/reference.json") as? [String: Any])
        let sequences = try XCTUnwrap(json["sequences"] as? [[String: Any]])
        return try sequences.map { s in
            Reference(tokens: try XCTUnwrap(s["token_ids"] as? [Int]).map(Int32.init),
                      logits: try XCTUnwrap(s["logits"] as? [[Double]]))
        }
    }

    /// Every position's logits against the reference; returns the worst relative error.
    static func compare(_ model: any LanguageModel, _ references: [Reference], label: String) throws -> Double {
        var worst = 0.0
        for ref in references {
            let runner = SequenceRunner(model: model, capacity: ref.tokens.count)
            let rows = try runner.feed(ref.tokens, at: 0, all: true)
            XCTAssertEqual(rows.count, ref.logits.count)
            for (row, expected) in zip(rows, ref.logits) {
                XCTAssertEqual(row.count, expected.count, label)
                let scale = expected.map(abs).max() ?? 1
                for (a, b) in zip(row, expected) { worst = max(worst, abs(Double(a) - b) / scale) }
            }
            // Decoding token by token gives the same logits as the whole prompt at once.
            let stepper = SequenceRunner(model: model, capacity: ref.tokens.count)
            for (i, t) in ref.tokens.enumerated() {
                let row = try stepper.feed([t], at: i)[0]
                let scale = ref.logits[i].map(abs).max() ?? 1
                for (a, b) in zip(row, ref.logits[i]) { worst = max(worst, abs(Double(a) - b) / scale) }
            }
        }
        return worst
    }

    /// Both matmul paths, each model from `load`.
    func check(_ model: String, architecture: String, format: String, load: (Matmul) throws -> any LanguageModel) throws {
        for matmulPath in [MatmulPath.gemv, .gemm] {
            let lm = try load(Matmul(pool: TestModels.pool, path: matmulPath))
            XCTAssertEqual(lm.config.architecture, architecture)
            let worst = try Self.compare(lm, Self.references(model), label: "\(model) \(format) \(matmulPath)")
            XCTAssertLessThan(worst, 1e-4, "\(model) \(format) \(matmulPath)")
            print("\(model) \(format) \(matmulPath): worst relative logit error \(worst)")
        }
    }

    func checkGGUF(_ model: String, architecture: String) throws {
        let file = try GGUFFile(path: TestModels.fixtures.appendingPathComponent("\(model)/model.gguf").path)
        try check(model, architecture: architecture, format: "GGUF") { try ModelRegistry.load(file, matmul: $0) }
    }

    /// The GGUF conversion's tokenizer (vocab, merges, pre-tokenizer by name) against the
    /// `tokenizers` package on the corpus; GGUF has no normalizer, so for Qwen2 (NFC) only
    /// strings already in NFC count.
    func checkGGUFTokenizer(_ model: String) throws {
        let file = try GGUFFile(path: TestModels.fixtures.appendingPathComponent("\(model)/model.gguf").path)
        let tokenizer = try TokenizerFactory.load(from: file)
        let corpus = try XCTUnwrap(TestModels.json("tokenizer-corpus.json") as? [String])
        let golden = try XCTUnwrap(TestModels.json("\(model)/tokens.json") as? [String: Any])
        let ids = try XCTUnwrap(golden["ids"] as? [[Int]])
        XCTAssertEqual(ids.count, corpus.count)
        var compared = 0
        // NFC is checked on scalars: Swift's == on strings is canonical equivalence.
        for (text, expected) in zip(corpus, ids) where !["tiny-qwen2", "tiny-qwen3"].contains(model) || text.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(text.unicodeScalars) {
            XCTAssertEqual(tokenizer.encode(text, addSpecial: false, parseSpecial: true).map(Int.init), expected, "\(model): \(text.debugDescription)")
            compared += 1
        }
        XCTAssertGreaterThan(compared, 2000)
    }

    func testGGUFTokenizersMatchTheTokenizersPackage() throws {
        try checkGGUFTokenizer("tiny-gpt2")
        try checkGGUFTokenizer("tiny-qwen2")
        try checkGGUFTokenizer("tiny-qwen3")
        try checkGGUFTokenizer("tiny-phi3")  // "gpt-4o" pre-tokenizer (Phi-4-mini)
    }

    func checkSafetensors(_ model: String, architecture: String) throws {
        let checkpoint = try SafetensorsCheckpoint(folder: TestModels.fixtures.appendingPathComponent(model).path)
        try check(model, architecture: architecture, format: "safetensors") { try ModelRegistry.load(checkpoint, matmul: $0) }
    }

    func testGPT2FromSafetensorsMatchesNumPy() throws { try checkSafetensors("tiny-gpt2", architecture: "gpt2") }
    func testQwen2FromShardedBF16SafetensorsMatchesNumPy() throws { try checkSafetensors("tiny-qwen2", architecture: "qwen2") }
    func testLlamaFromTiedF16SafetensorsMatchesNumPy() throws { try checkSafetensors("tiny-llama", architecture: "llama") }
    func testGPT2FromGGUFMatchesNumPy() throws { try checkGGUF("tiny-gpt2", architecture: "gpt2") }
    func testQwen2FromGGUFMatchesNumPy() throws { try checkGGUF("tiny-qwen2", architecture: "qwen2") }
    // Qwen3: per-head Q/K RMSNorm, head_dim 32 with hidden 64 and 4 heads, tied head.
    func testQwen3FromSafetensorsMatchesNumPy() throws { try checkSafetensors("tiny-qwen3", architecture: "qwen3") }
    func testQwen3FromGGUFMatchesNumPy() throws { try checkGGUF("tiny-qwen3", architecture: "qwen3") }
    // Phi-3 shaped like Phi-4-mini: fused QKV and gate/up, partial rotary, LongRoPE, tied head.
    func testPhi3FromSafetensorsMatchesNumPy() throws { try checkSafetensors("tiny-phi3", architecture: "phi3") }
    func testPhi3FromGGUFMatchesNumPy() throws { try checkGGUF("tiny-phi3", architecture: "phi3") }
    // SmolLM3: no RoPE in its fourth layer; the GGUF conversion's Q/K permuted to interleaved pairs.
    func testSmolLM3FromSafetensorsMatchesNumPy() throws { try checkSafetensors("tiny-smollm3", architecture: "smollm3") }
    func testSmolLM3FromGGUFMatchesNumPy() throws { try checkGGUF("tiny-smollm3", architecture: "smollm3") }
    // Gemma 3 shaped like 4B: Gemma3ForConditionalGeneration's text weights (norms stored as w, scaling by
    // 1 + w), 7 layers of which the sixth is global, a window of 5 over 20-token prompts, linear RoPE
    // (factor 8) on the global layer only, head_dim 32 with hidden 64 and 4 heads, GQA, tied head.
    func testGemma3FromSafetensorsMatchesNumPy() throws { try checkSafetensors("tiny-gemma3", architecture: "gemma3") }
    func testGemma3FromGGUFMatchesNumPy() throws { try checkGGUF("tiny-gemma3", architecture: "gemma3") }

    /// The tiny Gemma 3 tells the model from its near misses, so matching its reference means
    /// Tern scales the global layer's RoPE and only its, and slides the local layers' window.
    /// reference.json records how far the NumPy forward moves from the reference with the linear
    /// factor on no layer, on every layer, and with a window as long as the prompts: each more
    /// than 100× the tolerance. Tern's own model with the factor left out, or the window widened,
    /// lands where NumPy's did (the last variant has no switch in Tern's model).
    func testTinyGemma3ExercisesGlobalRopeScalingAndTheWindow() throws {
        let json = try XCTUnwrap(TestModels.json("tiny-gemma3/reference.json") as? [String: Any])
        let moved = try XCTUnwrap(json["variant_differences"] as? [String: Double])
        for key in ["linear_rope_on_no_layer", "linear_rope_on_every_layer", "no_sliding_window"] {
            XCTAssertGreaterThan(try XCTUnwrap(moved[key], key), 1e-2, key)
        }
        let file = try GGUFFile(path: TestModels.fixtures.appendingPathComponent("tiny-gemma3/model.gguf").path)
        let matmul = Matmul(pool: TestModels.pool)
        let model = try ModelRegistry.load(file, matmul: matmul)
        XCTAssertEqual(model.config.ropeLinearScale, 8)
        XCTAssertEqual(model.config.slidingWindow, 5)
        let references = try Self.references("tiny-gemma3")
        var unscaled = model.config, unwindowed = model.config
        unscaled.ropeLinearScale = 1
        unwindowed.slidingWindow = model.config.contextLength  // longer than the prompts: no window
        for (key, config) in [("linear_rope_on_no_layer", unscaled), ("no_sliding_window", unwindowed)] {
            let worst = try Self.compare(Gemma3Model(config: config, weights: file, matmul: matmul), references, label: key)
            XCTAssertEqual(worst, try XCTUnwrap(moved[key]), accuracy: 1e-4, key)
            print("tiny-gemma3 \(key): worst relative logit error \(worst) (NumPy: \(moved[key] ?? 0))")
        }
    }
}
