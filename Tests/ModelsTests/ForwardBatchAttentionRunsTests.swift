import Models
import XCTest

/// How a batch's new tokens are grouped for attention: a sequence's tokens share their K/V
/// reads, unless they are already converted (flat) or their windows start apart; few runs are
/// split so every thread has work.
final class ForwardBatchAttentionRunsTests: XCTestCase {
    private func batch(_ seqs: [(count: Int, start: Int)]) -> ForwardBatch {
        var b = ForwardBatch()
        for s in seqs { b.append(tokens: [Int32](repeating: 1, count: s.count), startPosition: s.start, blockTable: [0, 1, 2, 3], logitsFor: []) }
        return b
    }

    func testASequencesTokensShareOneRun() {
        let b = batch([(5, 40), (1, 7)])
        let runs = b.attentionRuns(flat: [false, false], window: nil, causal: true, tasks: 4, kvHeads: 8)
        XCTAssertEqual(runs, [.init(seq: 0, row: 0, count: 5, start: 0, end: 41), .init(seq: 1, row: 5, count: 1, start: 0, end: 8)])
    }

    func testLongContextsShrinkRunsToTheScoreBudget() {
        // Positions 1000…1004, group 4: row i needs 4 · (1001 + i) scores; 12,000 fit two rows
        // (2 · 4 · 1002 = 8,016) but not three (3 · 4 · 1003 = 12,036).
        let runs = batch([(5, 1000)]).attentionRuns(flat: [false], window: nil, causal: true, tasks: 1, kvHeads: 8, group: 4,
                                                    maxScores: 12000)
        XCTAssertEqual(runs.map(\.count), [2, 2, 1])
        XCTAssertEqual(runs.map(\.end), [1001, 1003, 1005])
    }

    func testFewRunsAreSplitForTheThreads() {
        // 1 run × 3 KV heads < 4 tasks: two pieces, the second starting where the first ends.
        let runs = batch([(5, 40)]).attentionRuns(flat: [false], window: nil, causal: true, tasks: 4, kvHeads: 3)
        XCTAssertEqual(runs, [.init(seq: 0, row: 0, count: 3, start: 0, end: 41), .init(seq: 0, row: 3, count: 2, start: 0, end: 44)])
        // Not causal (encoders): every piece attends to the whole sequence.
        let all = batch([(4, 0)]).attentionRuns(flat: [false], window: nil, causal: false, tasks: 4, kvHeads: 1)
        XCTAssertEqual(all.map(\.count), [1, 1, 1, 1])
        XCTAssertEqual(Set(all.map(\.end)), [4])
    }

    func testFlatSequencesAndMovingWindowsGoTokenByToken() {
        let flat = batch([(3, 0), (2, 10)]).attentionRuns(flat: [true, false], window: nil, causal: true, tasks: 1, kvHeads: 2)
        XCTAssertEqual(flat.map(\.count), [1, 1, 1, 2])
        // Window 8 at positions 5…9: starts 0, 0, 0, 1, 2 — the first three share a run.
        let windowed = batch([(5, 5)]).attentionRuns(flat: [false], window: 8, causal: true, tasks: 1, kvHeads: 2)
        XCTAssertEqual(windowed, [.init(seq: 0, row: 0, count: 3, start: 0, end: 6), .init(seq: 0, row: 3, count: 1, start: 1, end: 9),
                                  .init(seq: 0, row: 4, count: 1, start: 2, end: 10)])
    }
}
