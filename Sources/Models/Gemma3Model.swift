import Kernels
import ModelFormats

/// Gemma 3: a Llama-like decoder with a scaled embedding, RMSNorm on each head's query and
/// key, extra norms after attention and after the feed-forward, a GELU-gated feed-forward,
/// and interleaved sliding-window (local, RoPE base 10k) and global attention layers.
public final class Gemma3Model: LanguageModel, @unchecked Sendable {
    struct Layer {
        let attnNorm, qNorm, kNorm, postAttnNorm: UnsafePointer<Float>  // (width), (hd), (hd), (width)
        let wq, wk, wv, wo: WeightMatrix
        let ffnNorm, postFFNNorm: UnsafePointer<Float>                  // (width)
        let gate, up, down: WeightMatrix
        let window: Int?                                                // sliding window, nil for global layers
    }

    public let config: ModelConfig
    public let matmul: Matmul
    let file: GGUFFile  // the mapping the weights live in
    let embedding: WeightMatrix      // (vocab, width), tied with the output
    let layers: [Layer]
    let outputNorm: UnsafePointer<Float>
    let globalInvFreq: [Float]       // (ropeDim / 2)
    let localInvFreq: [Float]        // (ropeDim / 2)
    let attention: Attention
    /// Every `slidingWindowPattern`-th layer is global, the others slide.
    static let slidingWindowPattern = 6
    static let localRopeBase = 10_000.0

    public init(file: GGUFFile, matmul: Matmul) throws {
        let c = try ModelConfig.fromGGUF(file, ropeNeox: true)
        config = c
        self.file = file
        self.matmul = matmul
        let w = c.embeddingLength, hd = c.keyLength, q = c.headCount * hd, kv = c.kvWidth, ffn = c.feedForwardLength
        let window = file.metadata["gemma3.attention.sliding_window"]?.int
        embedding = try file.matrix("token_embd.weight", rows: c.vocabularySize, cols: w)
        layers = try (0 ..< c.blockCount).map { i in
            let p = "blk.\(i)."
            let isGlobal = (i + 1) % Self.slidingWindowPattern == 0
            return Layer(attnNorm: try file.vector(p + "attn_norm.weight", count: w),
                         qNorm: try file.vector(p + "attn_q_norm.weight", count: hd),
                         kNorm: try file.vector(p + "attn_k_norm.weight", count: hd),
                         postAttnNorm: try file.vector(p + "post_attention_norm.weight", count: w),
                         wq: try file.matrix(p + "attn_q.weight", rows: q, cols: w),
                         wk: try file.matrix(p + "attn_k.weight", rows: kv, cols: w),
                         wv: try file.matrix(p + "attn_v.weight", rows: kv, cols: w),
                         wo: try file.matrix(p + "attn_output.weight", rows: w, cols: q),
                         ffnNorm: try file.vector(p + "ffn_norm.weight", count: w),
                         postFFNNorm: try file.vector(p + "post_ffw_norm.weight", count: w),
                         gate: try file.matrix(p + "ffn_gate.weight", rows: ffn, cols: w),
                         up: try file.matrix(p + "ffn_up.weight", rows: ffn, cols: w),
                         down: try file.matrix(p + "ffn_down.weight", rows: w, cols: ffn),
                         window: isGlobal ? nil : window)
        }
        outputNorm = try file.vector("output_norm.weight", count: w)
        globalInvFreq = Ops.ropeInverseFrequencies(ropeDim: c.ropeDimensionCount, base: c.ropeBase)
        localInvFreq = Ops.ropeInverseFrequencies(ropeDim: c.ropeDimensionCount, base: Self.localRopeBase)
        attention = Attention(heads: c.headCount, kvHeads: c.headCountKV, headDim: hd, ropeDim: c.ropeDimensionCount,
                              neox: true, scale: 1 / Float(hd).squareRoot())
    }

    public var calibrationWeights: [WeightMatrix] { Array(matmulWeights.prefix(2 * 7)) }

    public var matmulWeights: [WeightMatrix] {
        layers.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo, $0.gate, $0.up, $0.down] } + [embedding]
    }

    public func forward(_ batch: ForwardBatch, cache: PagedKVCache) throws -> FloatBuffer {
        try validate(batch, cache: cache)
        let c = config, n = batch.numTokens, width = c.embeddingLength, hd = c.keyLength, eps = c.normEpsilon
        // Rows of short sequences (decode, short prompts) take GEMV, long prompt chunks GEMM.
        let plan = batch.rowPlan()
        let qWidth = c.headCount * hd, kvWidth = c.kvWidth, ffn = c.feedForwardLength
        let x = FloatBuffer(count: n * width)        // (n, width) residual stream
        let xn = FloatBuffer(count: n * width)       // (n, width) sublayer input / output
        let q = FloatBuffer(count: n * qWidth)       // (n, heads * hd)
        let k = FloatBuffer(count: n * kvWidth)      // (n, kvHeads * hd)
        let v = FloatBuffer(count: n * kvWidth)      // (n, kvHeads * hd)
        let att = FloatBuffer(count: n * qWidth)     // (n, heads * hd)
        let gate = FloatBuffer(count: n * ffn)       // (n, ffn)
        let up = FloatBuffer(count: n * ffn)         // (n, ffn)
        let globalRope = Attention.ropeTables(batch, invFreq: globalInvFreq, linearScale: c.ropeLinearScale)
        let localRope = Attention.ropeTables(batch, invFreq: localInvFreq, linearScale: 1)

        // x = embedding rows · √width
        let embedScale = Float(width).squareRoot()
        for (row, t) in batch.tokenIDs.enumerated() {
            let r = x.row(row, width: width)
            embedding.dequantizeRow(Int(t), into: r)
            for i in 0 ..< width { r[i] *= embedScale }
        }
        for (li, l) in layers.enumerated() {
            // xn = RMSNorm(x) · attn_norm
            for r in 0 ..< n { Ops.rmsNorm(x.row(r, width: width), weight: l.attnNorm, out: xn.row(r, width: width), n: width, eps: eps) }
            // q, k, v projections; each query and key head RMS-normed on its own
            matmul.apply([l.wq, l.wk, l.wv], x: xn.pointer, m: n, ys: [q.pointer, k.pointer, v.pointer], plan: plan)
            for r in 0 ..< n {
                for h in 0 ..< c.headCount { let p = q.row(r, width: qWidth) + h * hd; Ops.rmsNorm(p, weight: l.qNorm, out: p, n: hd, eps: eps) }
                for h in 0 ..< c.headCountKV { let p = k.row(r, width: kvWidth) + h * hd; Ops.rmsNorm(p, weight: l.kNorm, out: p, n: hd, eps: eps) }
            }
            // att = attention over the window (local layers) or everything (global layers)
            attention.run(batch: batch, layer: li, cache: cache, pool: matmul.pool, q: q, k: k, v: v, out: att,
                          rope: l.window == nil ? globalRope : localRope, window: l.window,
                          blasAllowed: matmul.path != .gemv)
            // x += RMSNorm(att Woᵀ) · post_attention_norm
            matmul.apply(l.wo, x: att.pointer, m: n, y: xn.pointer, plan: plan)
            addNormed(x: x, y: xn, weight: l.postAttnNorm, rows: n)
            // x += RMSNorm((gelu(xn Wgateᵀ) ⊙ xn Wupᵀ) Wdownᵀ) · post_ffw_norm, xn = RMSNorm(x) · ffn_norm
            for r in 0 ..< n { Ops.rmsNorm(x.row(r, width: width), weight: l.ffnNorm, out: xn.row(r, width: width), n: width, eps: eps) }
            matmul.apply([l.gate, l.up], x: xn.pointer, m: n, ys: [gate.pointer, up.pointer], plan: plan)
            let (g, u) = (gate.pointer, up.pointer)
            matmul.pool.parallelRanges(n * ffn, minChunk: 4096, chunksPerThread: 1) { r in
                Ops.geglu(g + r.lowerBound, up: u + r.lowerBound, n: r.count)
            }
            matmul.apply(l.down, x: gate.pointer, m: n, y: xn.pointer, plan: plan)
            addNormed(x: x, y: xn, weight: l.postFFNNorm, rows: n)
        }
        // logits = RMSNorm(x[rows]) · output_norm · Eᵀ
        let rows = batch.logitRows
        let h = FloatBuffer(count: rows.count * width)  // (rows.count, width)
        for (i, r) in rows.enumerated() { Ops.rmsNorm(x.row(r, width: width), weight: outputNorm, out: h.row(i, width: width), n: width, eps: eps) }
        let out = FloatBuffer(count: rows.count * c.vocabularySize, zeroed: false)  // (rows.count, vocab), every entry written below
        // Sampling rows by GEMV at every batch size (batch invariance); many-row sequences GEMM.
        matmul.apply(embedding, x: h.pointer, m: rows.count, y: out.pointer, plan: batch.logitsPlan())
        return out
    }

    /// x += RMSNorm(y) · weight, row by row (y is overwritten).
    private func addNormed(x: FloatBuffer, y: FloatBuffer, weight: UnsafePointer<Float>, rows: Int) {
        let width = config.embeddingLength
        for r in 0 ..< rows {
            let yr = y.row(r, width: width)
            Ops.rmsNorm(yr, weight: weight, out: yr, n: width, eps: config.normEpsilon)
            Ops.add(x.row(r, width: width), yr, n: width)
        }
    }
}
