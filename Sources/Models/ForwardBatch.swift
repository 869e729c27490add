import Kernels

/// The input of one forward pass: every scheduled token of every sequence, sequences laid
/// out one after another. A sequence's tokens sit at consecutive positions starting at
/// `startPosition` (its number of already-computed tokens); attention reads its earlier
/// keys and values from the paged cache through its block tables (one per table of the cache's
/// `KVLayout`; a plain cache has one).
public struct ForwardBatch: Sendable {
    public struct Segment: Sendable {
        /// Rows of this sequence in `tokenIDs`.
        public var tokenRange: Range<Int>
        /// Position of the first of those tokens.
        public var startPosition: Int
        /// Per table of the layout: block ids holding positions 0 ..< startPosition + tokenRange.count
        /// (-1 for a sliding-window table's blocks that lie wholly before the window).
        public var blockTables: [[Int32]]
        /// Rows (absolute indices into `tokenIDs`) whose logits are wanted, in order.
        public var logitRows: [Int]
        /// Rows (absolute indices into `tokenIDs`) whose final hidden states are wanted (embeddings), in order.
        public var hiddenRows: [Int]

        public init(tokenRange: Range<Int>, startPosition: Int, blockTables: [[Int32]], logitRows: [Int], hiddenRows: [Int] = []) {
            self.tokenRange = tokenRange
            self.startPosition = startPosition
            self.blockTables = blockTables
            self.logitRows = logitRows
            self.hiddenRows = hiddenRows
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
    /// within `tokens`) need logits, `wantHidden` which need their final hidden state.
    public mutating func append(tokens: [Int32], startPosition: Int, blockTables: [[Int32]], logitsFor wantLogits: [Int],
                                hiddenFor wantHidden: [Int] = []) {
        let base = tokenIDs.count
        tokenIDs.append(contentsOf: tokens)
        sequences.append(Segment(tokenRange: base ..< base + tokens.count, startPosition: startPosition,
                                   blockTables: blockTables, logitRows: wantLogits.map { base + $0 }, hiddenRows: wantHidden.map { base + $0 }))
    }

    /// `append` for a plain cache (one block table).
    public mutating func append(tokens: [Int32], startPosition: Int, blockTable: [Int32], logitsFor wantLogits: [Int]) {
        append(tokens: tokens, startPosition: startPosition, blockTables: [blockTable], logitsFor: wantLogits)
    }

    public var numTokens: Int { tokenIDs.count }

    /// How the matmuls split this batch: for each weight matrix, sequences shorter than that
    /// weight type's crossover (decode rows, short prompts) take GEMV together; every longer
    /// sequence gets its own GEMM calls. A sequence's path and arithmetic then depend on its
    /// own length only, whatever the batch and the order of its sequences.
    public func rowPlan() -> Matmul.RowPlan {
        Matmul.RowPlan(segments: sequences.map(\.tokenRange))
    }

    /// The same split for the logits matmul, over the rows of the logits matrix (a sequence
    /// has several for prompt logprobs).
    public func logitsPlan() -> Matmul.RowPlan {
        var at = 0
        let segments = sequences.map { s in
            defer { at += s.logitRows.count }
            return at ..< at + s.logitRows.count
        }
        return Matmul.RowPlan(segments: segments)
    }

    /// All rows that need logits, in sequence order; the logits matrix has one row per entry.
    public var logitRows: [Int] { sequences.flatMap(\.logitRows) }

    /// All rows that need their final hidden state, in sequence order.
    public var hiddenRows: [Int] { sequences.flatMap(\.hiddenRows) }
}
