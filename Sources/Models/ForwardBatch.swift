import Kernels

/// The input of one forward pass: every scheduled token of every sequence, sequences laid
/// out one after another. A sequence's tokens sit at consecutive positions starting at
/// `startPosition` (its number of already-computed tokens); attention reads its earlier
/// keys and values from the paged cache through `blockTable`.
public struct ForwardBatch: Sendable {
    public struct Segment: Sendable {
        /// Rows of this sequence in `tokenIDs`.
        public var tokenRange: Range<Int>
        /// Position of the first of those tokens.
        public var startPosition: Int
        /// Block ids holding positions 0 ..< startPosition + tokenRange.count.
        public var blockTable: [Int32]
        /// Rows (absolute indices into `tokenIDs`) whose logits are wanted, in order.
        public var logitRows: [Int]

        public init(tokenRange: Range<Int>, startPosition: Int, blockTable: [Int32], logitRows: [Int]) {
            self.tokenRange = tokenRange
            self.startPosition = startPosition
            self.blockTable = blockTable
            self.logitRows = logitRows
        }
    }

    /// (numTokens)
    public var tokenIDs: [Int32]
    public var sequences: [Segment]

    public init(tokenIDs: [Int32] = [], sequences: [Segment] = []) {
        self.tokenIDs = tokenIDs
        self.sequences = sequences
    }

    /// Appends one sequence's tokens; `wantLogits` selects which of the new tokens (by index
    /// within `tokens`) need logits.
    public mutating func append(tokens: [Int32], startPosition: Int, blockTable: [Int32], logitsFor wantLogits: [Int]) {
        let base = tokenIDs.count
        tokenIDs.append(contentsOf: tokens)
        sequences.append(Segment(tokenRange: base ..< base + tokens.count, startPosition: startPosition,
                                   blockTable: blockTable, logitRows: wantLogits.map { base + $0 }))
    }

    public var numTokens: Int { tokenIDs.count }

    /// How the matmuls split this batch: for each weight matrix, rows of the leading sequences
    /// shorter than that weight type's crossover (decode rows, short prompts) take GEMV; every
    /// later sequence gets its own GEMM calls. A sequence's path and arithmetic then depend on
    /// its own length, not on the batch (callers put short sequences first).
    public func rowPlan() -> Matmul.RowPlan {
        Matmul.RowPlan(segments: sequences.map(\.tokenRange))
    }

    /// The same split for the logits matmul: leading sequences with at most one logits row
    /// (sampling) take GEMV, every later sequence with logits (e.g. prompt logprobs) its own GEMM.
    public func logitsPlan() -> Matmul.RowPlan {
        var rows = 0, i = 0
        while i < sequences.count, sequences[i].logitRows.count <= 1 {
            rows += sequences[i].logitRows.count
            i += 1
        }
        var groups: [Range<Int>] = []
        var at = rows
        for s in sequences[i...] where !s.logitRows.isEmpty {
            groups.append(at ..< at + s.logitRows.count)
            at += s.logitRows.count
        }
        return Matmul.RowPlan(gemvRows: rows, gemmGroups: groups)
    }

    /// All rows that need logits, in sequence order; the logits matrix has one row per entry.
    public var logitRows: [Int] { sequences.flatMap(\.logitRows) }
}
