import Kernels
import ModelFormats

/// The Llama family (Llama 2/3, SmolLM, Mistral-style) and Qwen2: pre-norm blocks of
/// grouped-query attention with rotary embeddings and a SwiGLU feed-forward, RMSNorm
/// throughout. Qwen2 adds biases to the query, key and value projections.
public final class LlamaModel: LanguageModel, @unchecked Sendable {
    struct Layer {
        let attnNorm: UnsafePointer<Float>   // (width)
        let wq, wk, wv, wo: WeightMatrix     // (heads*hd, width), (kvWidth, width) ×2, (width, heads*hd)
        let bq, bk, bv: UnsafePointer<Float>? // (heads*hd), (kvWidth) ×2: Qwen2's projection biases
        let ffnNorm: UnsafePointer<Float>    // (width)
        let gate, up, down: WeightMatrix     // (ffn, width) ×2, (width, ffn)
    }

    public let config: ModelConfig
    public let matmul: Matmul
    let weights: WeightSource
    let embedding: WeightMatrix      // (vocab, width)
    let layers: [Layer]
    let outputNorm: UnsafePointer<Float>
    let output: WeightMatrix         // (vocab, width); the embedding when tied
    let invFreq: [Float]             // (ropeDim / 2)
    let attention: Attention

    /// From GGUF: `llama` rotates interleaved pairs (llama.cpp permutes Q/K at conversion),
    /// `qwen2` rotates halves (NeoX).
    public convenience init(file: GGUFFile, matmul: Matmul) throws {
        let neox = (try? file.string("general.architecture")) == "qwen2"
        try self.init(config: ModelConfig.fromGGUF(file, ropeNeox: neox), weights: file, matmul: matmul)
    }

    /// From any weight source presenting GGUF tensor names; `config.ropeNeox` picks the rotation.
    public init(config c: ModelConfig, weights file: WeightSource, matmul: Matmul) throws {
        self.config = c
        self.weights = file
        self.matmul = matmul
        let w = c.embeddingLength, q = c.headCount * c.keyLength, kv = c.kvWidth, ffn = c.feedForwardLength
        embedding = try file.matrix("token_embd.weight", rows: c.vocabularySize, cols: w)
        layers = try (0 ..< c.blockCount).map { i in
            let p = "blk.\(i)."
            func bias(_ name: String, _ n: Int) throws -> UnsafePointer<Float>? {
                file.hasTensor(p + name) ? try file.vector(p + name, count: n) : nil
            }
            return Layer(attnNorm: try file.vector(p + "attn_norm.weight", count: w),
                         wq: try file.matrix(p + "attn_q.weight", rows: q, cols: w),
                         wk: try file.matrix(p + "attn_k.weight", rows: kv, cols: w),
                         wv: try file.matrix(p + "attn_v.weight", rows: kv, cols: w),
                         wo: try file.matrix(p + "attn_output.weight", rows: w, cols: q),
                         bq: try bias("attn_q.bias", q), bk: try bias("attn_k.bias", kv), bv: try bias("attn_v.bias", kv),
                         ffnNorm: try file.vector(p + "ffn_norm.weight", count: w),
                         gate: try file.matrix(p + "ffn_gate.weight", rows: ffn, cols: w),
                         up: try file.matrix(p + "ffn_up.weight", rows: ffn, cols: w),
                         down: try file.matrix(p + "ffn_down.weight", rows: w, cols: ffn))
        }
        outputNorm = try file.vector("output_norm.weight", count: w)
        output = file.hasTensor("output.weight") ? try file.matrix("output.weight", rows: c.vocabularySize, cols: w) : embedding
        var factors: [Float]? = nil
        if file.hasTensor("rope_freqs.weight") {
            let t = try file.vector("rope_freqs.weight", count: c.ropeDimensionCount / 2)
            factors = Array(UnsafeBufferPointer(start: t, count: c.ropeDimensionCount / 2))
        }
        invFreq = Ops.ropeInverseFrequencies(ropeDim: c.ropeDimensionCount, base: c.ropeBase, freqFactors: factors)
        attention = Attention(heads: c.headCount, kvHeads: c.headCountKV, headDim: c.keyLength, ropeDim: c.ropeDimensionCount,
                              neox: c.ropeNeox, scale: 1 / Float(c.keyLength).squareRoot())
    }

    public var calibrationWeights: [WeightMatrix] { Array(matmulWeights.prefix(2 * 7)) }

    public var matmulWeights: [WeightMatrix] {
        layers.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo, $0.gate, $0.up, $0.down] } + [output]
    }

    public func forward(_ batch: ForwardBatch, cache: PagedKVCache) throws -> FloatBuffer {
        try validate(batch, cache: cache)
        let c = config, n = batch.numTokens, width = c.embeddingLength
        // Rows of short sequences (decode, short prompts) take GEMV, long prompt chunks GEMM.
        let plan = batch.rowPlan()
        let qWidth = c.headCount * c.keyLength, kvWidth = c.kvWidth, ffn = c.feedForwardLength
        let x = FloatBuffer(count: n * width)        // (n, width) residual stream
        let xn = FloatBuffer(count: n * width)       // (n, width) normed input of a sublayer
        let q = FloatBuffer(count: n * qWidth)       // (n, heads * hd)
        let k = FloatBuffer(count: n * kvWidth)      // (n, kvHeads * hd)
        let v = FloatBuffer(count: n * kvWidth)      // (n, kvHeads * hd)
        let att = FloatBuffer(count: n * qWidth)     // (n, heads * hd) attention output
        let gate = FloatBuffer(count: n * ffn)       // (n, ffn)
        let up = FloatBuffer(count: n * ffn)         // (n, ffn)
        let rope = Attention.ropeTables(batch, invFreq: invFreq, linearScale: c.ropeLinearScale)

        // x = embedding rows of the tokens
        for (row, t) in batch.tokenIDs.enumerated() { embedding.dequantizeRow(Int(t), into: x.row(row, width: width)) }
        for (li, l) in layers.enumerated() {
            // xn = RMSNorm(x) · attn_norm
            for r in 0 ..< n { Ops.rmsNorm(x.row(r, width: width), weight: l.attnNorm, out: xn.row(r, width: width), n: width, eps: c.normEpsilon) }
            // q, k, v = xn Wqᵀ, xn Wkᵀ, xn Wvᵀ
            matmul.apply([l.wq, l.wk, l.wv], x: xn.pointer, m: n, ys: [q.pointer, k.pointer, v.pointer], plan: plan)
            for (buffer, bias, count) in [(q, l.bq, qWidth), (k, l.bk, kvWidth), (v, l.bv, kvWidth)] {
                if let bias { for r in 0 ..< n { Ops.add(buffer.row(r, width: count), bias, n: count) } }
            }
            // att = softmax(q kᵀ / √hd) v over each sequence's cached positions (after RoPE)
            attention.run(batch: batch, layer: li, cache: cache, pool: matmul.pool, q: q, k: k, v: v, out: att, rope: rope,
                          blasAllowed: matmul.path != .gemv)
            // x += att Woᵀ
            matmul.apply(l.wo, x: att.pointer, m: n, y: xn.pointer, plan: plan)
            Ops.add(x.pointer, xn.pointer, n: n * width)
            // xn = RMSNorm(x) · ffn_norm
            for r in 0 ..< n { Ops.rmsNorm(x.row(r, width: width), weight: l.ffnNorm, out: xn.row(r, width: width), n: width, eps: c.normEpsilon) }
            // x += (silu(xn Wgateᵀ) ⊙ xn Wupᵀ) Wdownᵀ
            matmul.apply([l.gate, l.up], x: xn.pointer, m: n, ys: [gate.pointer, up.pointer], plan: plan)
            let (g, u) = (gate.pointer, up.pointer)
            matmul.pool.parallelRanges(n * ffn, minChunk: 4096, chunksPerThread: 1) { r in
                Ops.swiglu(g + r.lowerBound, up: u + r.lowerBound, n: r.count)
            }
            matmul.apply(l.down, x: gate.pointer, m: n, y: xn.pointer, plan: plan)
            Ops.add(x.pointer, xn.pointer, n: n * width)
        }
        return logits(x: x, rows: batch.logitRows, norm: outputNorm, plan: batch.logitsPlan())
    }

    /// logits (rows.count, vocab) = RMSNorm(x[rows]) · output_norm · Woutᵀ
    func logits(x: FloatBuffer, rows: [Int], norm: UnsafePointer<Float>, plan: Matmul.RowPlan) -> FloatBuffer {
        let c = config, width = c.embeddingLength
        let h = FloatBuffer(count: rows.count * width)   // (rows.count, width)
        for (i, r) in rows.enumerated() {
            Ops.rmsNorm(x.row(r, width: width), weight: norm, out: h.row(i, width: width), n: width, eps: c.normEpsilon)
        }
        let out = FloatBuffer(count: rows.count * c.vocabularySize, zeroed: false)  // (rows.count, vocab), every entry written below
        // Sampling rows by GEMV at every batch size, so a row's logits never depend on how
        // many sequences ran with it; sequences wanting many rows get their own GEMM.
        matmul.apply(output, x: h.pointer, m: rows.count, y: out.pointer, plan: plan)
        return out
    }
}
