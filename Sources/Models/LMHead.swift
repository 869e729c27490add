import Kernels

/// The language-model head: logits (rows, vocab) = norm(x[rows]) · Woutᵀ, for the rows that
/// asked for logits only.
struct LMHead {
    let norm: RowNorm
    let output: WeightMatrix  // (vocab, width); often the token embedding

    func logits(_ x: FloatBuffer, batch: ForwardBatch, matmul: Matmul) -> FloatBuffer {
        let rows = batch.logitRows
        let h = FloatBuffer(count: rows.count * norm.width)  // (rows.count, width)
        norm.apply(x, rows: rows, into: h)
        let out = FloatBuffer(count: rows.count * output.rows, zeroed: false)  // (rows.count, vocab), every entry written below
        // Sampling rows by GEMV at every batch size, so a row's logits never depend on how
        // many sequences ran with it; sequences wanting many rows get their own GEMM.
        matmul.apply(output, x: h.pointer, m: rows.count, y: out.pointer, plan: batch.logitsPlan())
        return out
    }

    /// `logits`, and the normed hidden states of `batch.hiddenRows`: (hiddenRows.count, width).
    func outputs(_ x: FloatBuffer, batch: ForwardBatch, matmul: Matmul) -> (logits: FloatBuffer, hidden: FloatBuffer) {
        let hidden = FloatBuffer(count: batch.hiddenRows.count * norm.width)  // (hiddenRows.count, width)
        norm.apply(x, rows: batch.hiddenRows, into: hidden)
        return (logits(x, batch: batch, matmul: matmul), hidden)
    }
}
