extension Matmul {
    /// How the rows of one batch split between the two paths, so that **a sequence's results
    /// depend on its own rows only** — never on the other sequences of the batch, their
    /// lengths, or the order the sequences come in. `segments` are the sequences' row ranges
    /// in any order; for each matrix, every segment shorter than the crossover (the matrix
    /// type's, or `gemmMinRows` when set) takes GEMV — all of them in one GEMV over their
    /// rows gathered together, which is exact because GEMV computes each row on its own —
    /// and every longer segment its own GEMM calls.
    public struct RowPlan: Sendable {
        /// Row ranges of the batch's sequences, disjoint, in any order.
        public var segments: [Range<Int>]
        /// When set, the crossover for every matrix (e.g. 2 for the logits: sampling rows take
        /// GEMV, sequences wanting several rows GEMM); else each weight type's own.
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
