extension Matmul {
    /// How the rows of one batch split between the two paths, so that **a sequence's results
    /// depend on its own rows only** — never on the other sequences of the batch, their
    /// lengths, or the order the sequences come in. `segments` are the sequences' row ranges
    /// in any order; every segment shorter than the crossover (the plan's `gemmMinRows` when
    /// set, else the `Matmul`'s) takes GEMV — all of them in one GEMV over their
    /// rows gathered together, which is exact because GEMV computes each row on its own —
    /// and every longer segment its own GEMM calls.
    public struct RowPlan: Sendable {
        /// Row ranges of the batch's sequences, disjoint, in any order.
        public var segments: [Range<Int>]
        /// When set, the crossover for every matrix; else the `Matmul`'s.
        public var gemmMinRows: Int?

        public init(segments: [Range<Int>], gemmMinRows: Int? = nil) {
            self.segments = segments
            self.gemmMinRows = gemmMinRows
        }

        /// The rows of one matrix's GEMV and its GEMM groups.
        struct Split {
            /// Rows of the short segments, adjacent ranges merged: one GEMV covers them all.
            var gemvRows: [Range<Int>]
            /// One GEMM per long segment.
            var gemmGroups: [Range<Int>]
        }

        func split(threshold: Int) -> Split {
            let crossover = gemmMinRows ?? threshold
            var split = Split(gemvRows: [], gemmGroups: [])
            for s in segments where !s.isEmpty {
                if s.count >= crossover {
                    split.gemmGroups.append(s)
                } else if let last = split.gemvRows.last, last.upperBound == s.lowerBound {
                    split.gemvRows[split.gemvRows.count - 1] = last.lowerBound ..< s.upperBound
                } else {
                    split.gemvRows.append(s)
                }
            }
            return split
        }
    }
}

extension Matmul {
    /// Contiguous windows covering rows 0 ..< m, each at most `maxRows` long, that never cut
    /// a group of rows that one GEMM call multiplies (such a window is the group's length). Computing a layer window by window (to bound its
    /// scratch) then gives every row the bits of one pass: GEMV computes each row alone, and a
    /// GEMM group is still one call (sgemm's arithmetic can depend on its row count).
    public func rowWindows(_ m: Int, plan: RowPlan, maxRows: Int) -> [Range<Int>] {
        guard m > maxRows else { return [0 ..< m] }  // one window: nothing to cut (every decode step)
        let groups = resolve(m, plan).gemmGroups
        var windows: [Range<Int>] = [], start = 0
        while start < m {
            var end = min(m, start + max(1, maxRows))
            if let g = groups.first(where: { $0.lowerBound < end && end < $0.upperBound }) {
                end = g.lowerBound > start ? g.lowerBound : g.upperBound
            }
            windows.append(start ..< end)
            start = end
        }
        return windows
    }
}

extension Matmul.RowPlan {
    /// The plan for rows `rows` of the batch alone, renumbered from 0 (segments cut to them).
    public func window(_ rows: Range<Int>) -> Matmul.RowPlan {
        let cut = segments.filter { $0.overlaps(rows) }.map { $0.clamped(to: rows) }
        return Matmul.RowPlan(segments: cut.map { $0.lowerBound - rows.lowerBound ..< $0.upperBound - rows.lowerBound },
                              gemmMinRows: gemmMinRows)
    }
}
