import Foundation
import Loader
import Models
import TestSupport
import XCTest

/// `PerplexityRun` against independent computations: the NumPy reference logits of the tiny
/// checkpoints (log-softmax taken here), SmolLM2's own full-chunk logits, a run in smaller
/// forwards, and a logits file written from Tern's logits (KL ≈ 0, same top token everywhere).
final class PerplexityRunTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// −log softmax(row)[token] in double.
    static func nll(_ row: [Double], _ token: Int32) -> Double {
        let m = row.max() ?? 0
        return m + log(row.reduce(0) { $0 + exp($1 - m) }) - row[Int(token)]
    }

    func testSecondHalfNLLMatchesTheNumPyReference() throws {
        for name in ["tiny-gpt2", "tiny-qwen2"] {
            let loaded = try ModelLoader.load(path: Self.fixtures.appendingPathComponent("\(name)/model.gguf").path,
                                              options: LoadOptions(threads: 2, matmulPath: .gemv))
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("\(name)/reference.json")))
            let sequences = try XCTUnwrap((json as? [String: Any])?["sequences"] as? [[String: Any]])
            for s in sequences {
                let tokens = try XCTUnwrap(s["token_ids"] as? [Int]).map(Int32.init)
                let logits = try XCTUnwrap(s["logits"] as? [[Double]])
                let run = try PerplexityRun(loaded: loaded, contextSize: tokens.count)
                XCTAssertNil(run.bos, "\(name): add_bos_token false")
                let scored = try run.score(chunk: 0, of: tokens)
                let first = tokens.count / 2
                XCTAssertEqual(scored.count, tokens.count - 1 - first)
                for (i, p) in scored.enumerated() {
                    XCTAssertEqual(p.nll, Self.nll(logits[first + i], tokens[first + i + 1]), accuracy: 1e-3, "\(name) position \(first + i)")
                }
            }
        }
    }

    func testSmolLM2MatchesItsOwnLogitsInAnyBatchSizeAndAgainstItsLogitsFile() throws {
        let loaded = try ModelLoader.load(path: try requiredModel("SmolLM2-135M-Instruct.Q4_1.gguf"), options: LoadOptions(threads: 2))
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("text/canals.txt"), encoding: .utf8)
        let ctx = 64, chunks = 3
        let run = try PerplexityRun(loaded: loaded, contextSize: ctx)
        XCTAssertFalse(PerplexityRun.addsBOS(loaded), "SmolLM2's file says add_bos_token false")
        let tokens = run.tokenize(text)
        XCTAssertEqual(tokens, loaded.tokenizer.encode(text, addSpecial: false, parseSpecial: false))
        XCTAssertGreaterThan(try run.chunkCount(tokens), chunks)
        XCTAssertThrowsError(try run.chunkCount(Array(tokens.prefix(2 * ctx - 1))))

        // Independent: every position's logits from one forward over the chunk, log-softmax here.
        let v = loaded.model.config.vocabularySize, first = ctx / 2
        var writer = LogitsFileWriter(contextSize: ctx, vocabularySize: v, tokens: Array(tokens.prefix(chunks * ctx)))
        var expected: [Double] = []
        for c in 0 ..< chunks {
            let cache = loaded.model.makeCache(numBlocks: ctx / 16, blockSize: 16, dtype: loaded.kvCacheDType)
            var batch = ForwardBatch()
            batch.append(tokens: Array(tokens[c * ctx ..< (c + 1) * ctx]), startPosition: 0, blockTable: [0, 1, 2, 3],
                         logitsFor: Array(0 ..< ctx))
            let out = try loaded.model.forward(batch, cache: cache)  // (ctx, v)
            for p in first ..< ctx - 1 {
                let row = Array(UnsafeBufferPointer(start: out.pointer + p * v, count: v))
                expected.append(Self.nll(row.map(Double.init), tokens[c * ctx + p + 1]))
                writer.appendRecord(logits: row)
            }
        }
        let whole = try (0 ..< chunks).flatMap { try run.score(chunk: $0, of: tokens) }
        XCTAssertEqual(whole.count, expected.count)
        for i in expected.indices { XCTAssertEqual(whole[i].nll, expected[i], accuracy: 1e-3, "position \(i)") }
        // In forwards of 24 tokens: the same values on the GEMV path (with `auto`, 24 and 64 rows
        // take different matmul paths, whose last bits differ by design).
        let gemv = try ModelLoader.load(path: try requiredModel("SmolLM2-135M-Instruct.Q4_1.gguf"), options: LoadOptions(threads: 2, matmulPath: .gemv))
        let (gemvWhole, gemvPieces) = try (PerplexityRun(loaded: gemv, contextSize: ctx), PerplexityRun(loaded: gemv, contextSize: ctx, batchSize: 24))
        var worst = 0.0
        for c in 0 ..< chunks {
            for (a, b) in zip(try gemvWhole.score(chunk: c, of: tokens), try gemvPieces.score(chunk: c, of: tokens)) { worst = max(worst, abs(a.nll - b.nll)) }
        }
        XCTAssertLessThan(worst, 5e-3, "whole chunks against forwards of 24 tokens")
        print("SmolLM2 GEMV: largest |Δ nll| between whole chunks and forwards of 24 tokens: \(worst)")
        var stats = PerplexityStats()
        whole.forEach { stats.add($0) }
        let reference = exp(expected.reduce(0, +) / Double(expected.count))
        XCTAssertEqual(stats.perplexity.value, reference, accuracy: reference * 1e-4)

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("smollm2-\(UUID().uuidString).kld").path
        try writer.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let base = try LlamaLogitsFile(path: path)
        try run.check(base: base, tokens: tokens)
        var kl = PerplexityStats()
        for c in 0 ..< chunks { try run.score(chunk: c, of: tokens, base: base).forEach { kl.add($0) } }
        XCTAssertLessThan(kl.kld.value, 1e-4, "only the file's quantization (steps of at most 16/65535) separates the two")
        XCTAssertGreaterThanOrEqual(kl.sameTop.value, 0.99)
        XCTAssertLessThan(abs(kl.logPPLRatio.value), 1e-4)
        XCTAssertLessThan(kl.maxTopLogProbDelta, 1e-3)

        var shifted = tokens
        shifted[70] = shifted[70] == 0 ? 1 : 0
        XCTAssertThrowsError(try run.check(base: base, tokens: shifted)) { error in
            guard case .badLogitsFile(_, let reason) = error as? LoaderError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("token 70"), reason)
        }
        XCTAssertThrowsError(try PerplexityRun(loaded: loaded, contextSize: 2 * ctx).check(base: base, tokens: tokens))
    }
}
