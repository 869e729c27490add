import Kernels
import ModelFormats

/// The Llama family (Llama 2/3, SmolLM, Mistral), Qwen2, Qwen3 and Phi-3: pre-norm blocks of
/// grouped-query attention with rotary embeddings and a SwiGLU feed-forward, RMSNorm
/// throughout. Qwen2 adds biases to the query, key and value projections; Qwen3 RMS-norms
/// each query and key head before RoPE; Phi-3 fuses Q/K/V and gate/up into single tensors
/// (split into views on load), rotates part of each head (Phi-4-mini) and scales RoPE by
/// LongRoPE's factors (see `RopeScaling`); SmolLM3 leaves RoPE out of every fourth layer
/// (`config.noRopeLayers`). `config.ropeNeox` picks the rotation: GGUF `llama`
/// and `smollm3` rotate interleaved pairs (llama.cpp permutes Q/K at conversion), `qwen2`, `qwen3`, `phi3`
/// and Hugging Face checkpoints rotate halves (NeoX).
public final class LlamaModel: LanguageModel, @unchecked Sendable {
    struct Layer {
        let attnNorm: RowNorm
        let wq, wk, wv, wo: WeightMatrix     // (heads*hd, width), (kvWidth, width) ×2, (width, heads*hd)
        let bq, bk, bv: UnsafePointer<Float>? // (heads*hd), (kvWidth) ×2: Qwen2's projection biases
        let qNorm, kNorm: RowNorm?           // over (hd): Qwen3's per-head query and key norms
        let ffnNorm: RowNorm
        let ffn: FeedForward                 // SwiGLU
    }

    public let config: ModelConfig
    let matmul: Matmul
    let weights: WeightSource
    let embedding: WeightMatrix      // (vocab, width)
    let layers: [Layer]
    let head: LMHead                 // RMSNorm, then the output matrix (the embedding when tied)
    let invFreq: [Float]             // (ropeDim / 2)
    let attention: Attention

    /// From any weight source presenting GGUF tensor names.
    public init(config c: ModelConfig, weights file: WeightSource, matmul: Matmul) throws {
        self.config = c
        self.weights = file
        self.matmul = matmul
        let w = c.embeddingLength, q = c.headCount * c.keyLength, kv = c.kvWidth, eps = c.normEpsilon
        embedding = try file.matrix("token_embd.weight", rows: c.vocabularySize, cols: w)
        layers = try (0 ..< c.blockCount).map { i in
            let p = "blk.\(i)."
            func bias(_ name: String, _ n: Int) throws -> UnsafePointer<Float>? {
                file.hasTensor(p + name) ? try file.vector(p + name, count: n) : nil
            }
            let (wq, wk, wv, wo) = try file.attentionProjections(prefix: p, config: c)
            func headNorm(_ name: String) throws -> RowNorm? {
                file.hasTensor(p + name) ? try .rms(file, p + name, width: c.keyLength, eps: eps) : nil
            }
            return Layer(attnNorm: try .rms(file, p + "attn_norm.weight", width: w, eps: eps), wq: wq, wk: wk, wv: wv, wo: wo,
                         bq: try bias("attn_q.bias", q), bk: try bias("attn_k.bias", kv), bv: try bias("attn_v.bias", kv),
                         qNorm: try headNorm("attn_q_norm.weight"), kNorm: try headNorm("attn_k_norm.weight"),
                         ffnNorm: try .rms(file, p + "ffn_norm.weight", width: w, eps: eps),
                         ffn: try FeedForward(file, prefix: p, config: c, gated: true, activation: .silu))
        }
        let output = file.hasTensor("output.weight") ? try file.matrix("output.weight", rows: c.vocabularySize, cols: w) : embedding
        head = LMHead(norm: try .rms(file, "output_norm.weight", width: w, eps: eps), output: output)
        var factors = c.ropeFreqFactors  // (ropeDim / 2) divisors: from config.json or LongRoPE's choice
        if factors == nil, file.hasTensor("rope_freqs.weight") {
            let t = try file.vector("rope_freqs.weight", count: c.ropeDimensionCount / 2)
            factors = Array(UnsafeBufferPointer(start: t, count: c.ropeDimensionCount / 2))
        }
        invFreq = Ops.ropeInverseFrequencies(ropeDim: c.ropeDimensionCount, base: c.ropeBase, freqFactors: factors)
        attention = Attention(heads: c.headCount, kvHeads: c.headCountKV, headDim: c.keyLength, ropeDim: c.ropeDimensionCount,
                              neox: c.ropeNeox, scale: 1 / Float(c.keyLength).squareRoot())
        matmul.prepare(layers.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo] + $0.ffn.weights } + [output])
    }

    public func forward(_ batch: ForwardBatch, cache: PagedKVCache) throws -> FloatBuffer {
        try forwardWithHidden(batch, cache: cache).logits
    }

    /// Embeddings pool the states after the output norm: the file's pooling, else the last token's.
    public var pooling: Pooling? { config.pooling ?? .last }

    public func forwardWithHidden(_ batch: ForwardBatch, cache: PagedKVCache) throws -> (logits: FloatBuffer, hidden: FloatBuffer) {
        try validate(batch, cache: cache)
        let c = config, n = batch.numTokens
        let plan = batch.rowPlan()  // short sequences take GEMV, long prompt chunks GEMM
        let s = TransformerScratch(rows: n, config: c, gated: true)
        let rope = Attention.ropeTables(batch, invFreq: invFreq, linearScale: c.ropeLinearScale, magnitude: c.ropeAttentionFactor)

        // x = embedding rows of the tokens
        s.embed(batch, embedding, matmul: matmul)
        for (li, l) in layers.enumerated() {
            // xn = RMSNorm(x) · attn_norm
            l.attnNorm.apply(s.x, into: s.xn, rows: n)
            // q, k, v = xn Wqᵀ + bq, xn Wkᵀ + bk, xn Wvᵀ + bv
            matmul.apply([l.wq, l.wk, l.wv], x: s.xn.pointer, m: n, ys: [s.q.pointer, s.k.pointer, s.v.pointer], plan: plan)
            s.q.addToRows(l.bq, rows: n, width: l.wq.rows)
            s.k.addToRows(l.bk, rows: n, width: l.wk.rows)
            s.v.addToRows(l.bv, rows: n, width: l.wv.rows)
            // Qwen3: each query and key head RMS-normed on its own
            l.qNorm?.apply(s.q, into: s.q, rows: n * c.headCount)
            l.kNorm?.apply(s.k, into: s.k, rows: n * c.headCountKV)
            // att = softmax(q kᵀ / √hd) v over each sequence's cached positions (after RoPE; within
            // the sliding window when the model has one)
            attention.run(batch: batch, layer: li, cache: cache, matmul: matmul, q: s.q, k: s.k, v: s.v, out: s.att,
                          rope: c.noRopeLayers.contains(li) ? nil : rope, window: c.slidingWindow)
            // x += att Woᵀ
            matmul.apply(l.wo, x: s.att.pointer, m: n, y: s.xn.pointer, plan: plan)
            Ops.add(s.x.pointer, s.xn.pointer, n: n * c.embeddingLength)
            // x += (silu(xn Wgateᵀ) ⊙ xn Wupᵀ) Wdownᵀ, xn = RMSNorm(x) · ffn_norm
            l.ffnNorm.apply(s.x, into: s.xn, rows: n)
            l.ffn.apply(s, rows: n, plan: plan, matmul: matmul)
            Ops.add(s.x.pointer, s.xn.pointer, n: n * c.embeddingLength)
        }
        // logits = RMSNorm(x[rows]) · output_norm · Woutᵀ
        return head.outputs(s.x, batch: batch, matmul: matmul)
    }
}
