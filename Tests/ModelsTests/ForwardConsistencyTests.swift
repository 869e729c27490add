import Kernels
import Models
import XCTest

/// The forward pass agrees with itself across the ways a batch can be laid out: one
/// prompt chunk versus token by token (BLAS attention versus the paged walk), an identity
/// versus a scrambled block table, one sequence versus several in one batch.
final class ForwardConsistencyTests: XCTestCase {
    let prompt: [Int32] = [504, 3458, 4198, 16703, 282, 1462, 14746, 30, 288, 10185, 28, 915, 253, 2006, 1007, 11596,
                           30, 378, 3849, 1326, 314, 260, 1377, 282, 1694, 30, 1345, 15012, 2384, 4144, 32, 2]

    /// A prompt chunk takes the BLAS attention path, single tokens the block-table walk. The
    /// two differ only in float summation order, but int8 activation rounding can amplify a
    /// last-bit difference into one quantization step, so the bound is loose, and the argmax
    /// may move at near-ties: on an Intel Sapphire Rapids host (OpenBLAS's own kernels) two
    /// positions flip, with top-2 gaps of 0.02 and 0.12 logits against differences up to 0.6.
    func testPromptChunkMatchesTokenByToken() throws {
        let (_, model) = try TestModels.load(TestModels.smolLM2, path: .gemm)
        let whole = try SequenceRunner(model: model, capacity: 64).feed(prompt, at: 0, all: true)
        let stepper = SequenceRunner(model: model, capacity: 64)
        var sameArgmax = 0
        for (i, t) in prompt.enumerated() {
            let step = try stepper.feed([t], at: i)[0]
            let scale = whole[i].map(abs).max()!
            let diff = zip(step, whole[i]).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(diff / scale, 0.15, "position \(i)")
            if argmax(step) == argmax(whole[i]) { sameArgmax += 1 }
        }
        XCTAssertGreaterThanOrEqual(sameArgmax, prompt.count - 3)
    }

    func testScrambledBlockTableGivesSameLogits() throws {
        let (_, model) = try TestModels.load(TestModels.smolLM2)
        let a = try SequenceRunner(model: model, capacity: 64, blockSize: 4).feed(prompt, at: 0)
        let b = try SequenceRunner(model: model, capacity: 64, blockSize: 4, table: [9, 3, 14, 0, 7, 12, 1, 5, 2, 8]).feed(prompt, at: 0)
        XCTAssertEqual(a, b)
    }

    /// With the GEMV path every row's arithmetic is independent of the batch: bit-identical.
    func testSequencesInOneBatchMatchSequencesAlone() throws {
        let (_, model) = try TestModels.load(TestModels.smolLM2, path: .gemv)
        let cache = model.makeCache(numBlocks: 12, blockSize: 8)
        let seqs: [[Int32]] = [Array(prompt[0 ..< 20]), Array(prompt[3 ..< 9]), [prompt[5]]]
        let tables: [[Int32]] = [[0, 1, 2], [3, 4], [5]]
        var batch = ForwardBatch()
        for (s, t) in zip(seqs, tables) { batch.append(tokens: s, startPosition: 0, blockTable: t, logitsFor: [s.count - 1]) }
        let together = try model.forward(batch, cache: cache)
        let v = model.config.vocabularySize
        for (i, s) in seqs.enumerated() {
            let alone = try SequenceRunner(model: model, capacity: 32).feed(s, at: 0)[0]
            let row = Array(UnsafeBufferPointer(start: together.pointer + i * v, count: v))
            XCTAssertEqual(alone, row, "sequence \(i)")
        }
    }

    /// With the default kernel choice (GEMV for short sequences, GEMM for long ones, by row
    /// and by logits row) a sequence's logits are bit-identical alone and in a batch, in any
    /// order: short and long sequences interleaved, a many-row logits request between
    /// sampling rows.
    func testSequencesInAnyOrderMatchSequencesAlone() throws {
        let (_, model) = try TestModels.load(TestModels.smolLM2, path: .auto)
        let cache = model.makeCache(numBlocks: 12, blockSize: 16)
        let seqs: [[Int32]] = [[prompt[5]], prompt, Array(prompt[3 ..< 9]), [prompt[7]], Array(prompt[0 ..< 2])]
        let all = [false, true, false, false, true]  // logits for every row, or the last one only
        var batch = ForwardBatch()
        for (i, s) in seqs.enumerated() {
            batch.append(tokens: s, startPosition: 0, blockTable: [Int32(2 * i), Int32(2 * i + 1)],
                         logitsFor: all[i] ? Array(s.indices) : [s.count - 1])
        }
        let together = try model.forward(batch, cache: cache)
        let v = model.config.vocabularySize
        var row = 0
        for (i, s) in seqs.enumerated() {
            let alone = try SequenceRunner(model: model, capacity: 32).feed(s, at: 0, all: all[i])
            for r in alone {
                XCTAssertEqual(r, Array(UnsafeBufferPointer(start: together.pointer + row * v, count: v)), "sequence \(i)")
                row += 1
            }
        }
    }

    func testBadInputIsATypedError() throws {
        let (_, model) = try TestModels.load(TestModels.smolLM2)
        let runner = SequenceRunner(model: model, capacity: 16)
        XCTAssertThrowsError(try runner.feed([Int32(model.config.vocabularySize)], at: 0))
        XCTAssertThrowsError(try runner.feed([-1], at: 0))
        XCTAssertThrowsError(try runner.feed([1, 2], at: 15))  // beyond the blocks it was given
    }
}
