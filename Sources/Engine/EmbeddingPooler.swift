import Models

/// The runner's embedding state: per embedding sequence, the pool of its hidden states so far
/// (a prompt may take several steps), turned into the L2-normalized vector on the step that
/// completes the prompt. Rows are added in position order, one at a time, so the vector does
/// not depend on how the prompt was chunked or what ran beside it.
struct EmbeddingPooler {
    /// Per sequence: the sum of its pooled rows (width), and how many.
    private var sums: [SequenceID: (sum: [Double], count: Int)] = [:]

    /// The rows of `item` (indices within its tokens) whose hidden states `spec` needs.
    static func rows(_ item: ScheduledRequest, _ spec: PoolSpec) -> [Int] {
        let n = item.tokenIDs.count
        switch spec.pooling {
        case .mean: return Array(0 ..< n)
        case .cls: return item.startPosition == 0 && n > 0 ? [0] : []
        case .last: return spec.completesPrompt && n > 0 ? [n - 1] : []
        }
    }

    /// Adds `rows` hidden states (rows, width) at `hidden` to `id`'s pool; returns the
    /// normalized vector when `spec` completes the prompt.
    mutating func add(_ id: SequenceID, _ spec: PoolSpec, hidden: UnsafePointer<Float>, rows: Int, width: Int) -> [Float]? {
        var entry = sums[id] ?? (Array(repeating: 0, count: width), 0)
        for r in 0 ..< rows {
            for j in 0 ..< width { entry.sum[j] += Double(hidden[r * width + j]) }
        }
        entry.count += rows
        guard spec.completesPrompt else {
            sums[id] = entry
            return nil
        }
        sums[id] = nil
        return Self.normalized(entry.sum)
    }

    /// `v` / ‖v‖ (a zero vector stays zero); the mean's division cancels in the normalization.
    static func normalized(_ v: [Double]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { Float(norm > 0 ? $0 / norm : 0) }
    }

    /// Forgets `id`'s pool (it finished, or was preempted and will recompute from its start).
    mutating func drop(_ id: SequenceID) { sums[id] = nil }
}
