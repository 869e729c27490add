#if canImport(Glibc)
import Glibc
#endif
import Kernels

/// A transformer block's feed-forward sublayer, gated (out = (act(xn Wgateᵀ) ⊙ xn Wupᵀ) Wdownᵀ,
/// Llama's SwiGLU, Gemma's GeGLU) or not (out = act(xn Wupᵀ + bup) Wdownᵀ, GPT-2's GELU).
struct FeedForward {
    /// GELU by its tanh approximation (GPT-2, Gemma) or exactly, with erf (BERT).
    enum Activation { case silu, gelu, geluErf }

    let gate: WeightMatrix?           // (ffn, width); nil: not gated
    let up: WeightMatrix              // (ffn, width)
    let upBias: UnsafePointer<Float>? // (ffn)
    let down: WeightMatrix            // (width, ffn)
    let activation: Activation

    /// `ffn_gate` (gated) or `ffn_up.bias` (not gated), `ffn_up` and `ffn_down` of block
    /// `prefix` (`blk.N.`). A gated block without `ffn_gate` has both halves in `ffn_up`
    /// (Phi-3: (2 ffn, width), the gate's rows first), presented as two views.
    init(_ source: WeightSource, prefix p: String, config c: ModelConfig, gated: Bool, activation: Activation) throws {
        let w = c.embeddingLength, ffn = c.feedForwardLength
        if gated && !source.hasTensor(p + "ffn_gate.weight") {
            let fused = try source.matrix(p + "ffn_up.weight", rows: 2 * ffn, cols: w)  // (2 ffn, width)
            (gate, up) = (fused.rows(0 ..< ffn), fused.rows(ffn ..< 2 * ffn))
        } else {
            gate = gated ? try source.matrix(p + "ffn_gate.weight", rows: ffn, cols: w) : nil
            up = try source.matrix(p + "ffn_up.weight", rows: ffn, cols: w)
        }
        upBias = gated ? nil : try source.vector(p + "ffn_up.bias", count: ffn)
        down = try source.matrix(p + "ffn_down.weight", rows: w, cols: ffn)
        self.activation = activation
    }

    /// x = x · Φ(x) = x/2 · (1 + erf(x/√2)), in place.
    static func geluErf(_ x: UnsafeMutablePointer<Float>, n: Int) {
        for i in 0 ..< n { x[i] = 0.5 * x[i] * (1 + erff(x[i] * 0.70710678118654752)) }
    }

    var weights: [WeightMatrix] { (gate.map { [$0] } ?? []) + [up, down] }

    /// s.xn (n, width) = FFN(s.xn), through s.hidden (and s.up when gated), in windows of about
    /// `TransformerScratch.ffnWindow` rows (each row's arithmetic as in one pass: `Matmul.rowWindows`).
    func apply(_ s: TransformerScratch, rows n: Int, plan: Matmul.RowPlan, matmul: Matmul) {
        let windows = matmul.rowWindows(n, plan: plan, maxRows: TransformerScratch.ffnWindow)
        let most = (windows.map(\.count).max() ?? 0) * up.rows
        if s.hidden.count < most { s.hidden.resize(most) }
        if let u = s.up, u.count < most { u.resize(most) }
        for rows in windows {
            let part = windows.count == 1 ? plan : plan.window(rows)
            apply(s, xn: s.xn.pointer + rows.lowerBound * up.cols, rows: rows.count, plan: part, matmul: matmul)
        }
    }

    /// xn (n, width) = FFN(xn) for n rows that fit the hidden scratch.
    private func apply(_ s: TransformerScratch, xn: UnsafeMutablePointer<Float>, rows n: Int, plan: Matmul.RowPlan, matmul: Matmul) {
        let ffn = up.rows, h = s.hidden.pointer
        if let gate, let upOut = s.up {
            matmul.apply([gate, up], x: xn, m: n, ys: [h, upOut.pointer], plan: plan)
            let u = upOut.pointer, gelu = activation == .gelu
            matmul.pool.parallelRanges(n * ffn, minChunk: 1024, chunksPerThread: 1) { r in
                let (g, u) = (h + r.lowerBound, u + r.lowerBound)
                if gelu { Ops.geglu(g, up: u, n: r.count) } else { Ops.swiglu(g, up: u, n: r.count) }
            }
        } else {
            matmul.apply(up, x: xn, m: n, y: h, plan: plan)
            s.hidden.addToRows(upBias, rows: n, width: ffn)
            let erf = activation == .geluErf
            matmul.pool.parallelRanges(n * ffn, minChunk: 1024, chunksPerThread: 1) { r in
                if erf { Self.geluErf(h + r.lowerBound, n: r.count) } else { Ops.gelu(h + r.lowerBound, n: r.count) }
            }
        }
        matmul.apply(down, x: h, m: n, y: xn, plan: plan)
    }
}
