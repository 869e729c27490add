extension ForwardBatch {
    /// A run of consecutive new tokens of one sequence that attention takes together (their
    /// K/V rows read once): batch rows row ..< row + count; the first attends to [start, end),
    /// each next one position further when causal.
    public struct AttentionRun: Equatable, Sendable {
        public var seq, row, count, start, end: Int

        public init(seq: Int, row: Int, count: Int, start: Int, end: Int) {
            (self.seq, self.row, self.count, self.start, self.end) = (seq, row, count, start, end)
        }
    }

    /// The batch's new tokens as runs. A token of a `flat` sequence (its K/V already converted
    /// to floats) is its own run, as is one whose window starts apart from its neighbour's;
    /// the others of a sequence share one run while its scores (rows × `group` heads × the
    /// longest row's positions) fit in `maxScores` floats, split into equal pieces while the
    /// runs times `kvHeads` number fewer than `tasks`, so every thread has work.
    public func attentionRuns(flat: [Bool], window: Int?, causal: Bool, tasks: Int, kvHeads: Int, group: Int = 1,
                              maxScores: Int = .max) -> [AttentionRun] {
        var runs: [AttentionRun] = []
        for (si, s) in sequences.enumerated() {
            let seqEnd = s.startPosition + s.tokenRange.count
            for (i, row) in s.tokenRange.enumerated() {
                let pos = s.startPosition + i
                let start = window.map { max(0, pos + 1 - $0) } ?? 0, end = causal ? pos + 1 : seqEnd
                if !flat[si], var last = runs.last, last.seq == si, last.start == start,
                   (last.count + 1) * group * (end - start) <= maxScores {
                    last.count += 1
                    runs[runs.count - 1] = last
                } else {
                    runs.append(AttentionRun(seq: si, row: row, count: 1, start: start, end: end))
                }
            }
        }
        let pieces = runs.count * kvHeads >= tasks ? 1 : (tasks + runs.count * kvHeads - 1) / (runs.count * kvHeads)
        guard pieces > 1 else { return runs }
        return runs.flatMap { r -> [AttentionRun] in
            let size = (r.count + pieces - 1) / pieces
            return stride(from: 0, to: r.count, by: size).map { i in
                AttentionRun(seq: r.seq, row: r.row + i, count: min(size, r.count - i), start: r.start, end: causal ? r.end + i : r.end)
            }
        }
    }
}
