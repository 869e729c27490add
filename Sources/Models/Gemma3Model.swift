import Kernels
import ModelFormats

/// Gemma 3: a Llama-like decoder with a scaled embedding, RMSNorm on each head's query and
/// key, extra norms after attention and after the feed-forward, a GELU-gated feed-forward,
/// and interleaved sliding-window (local, RoPE base 10k) and global attention layers.
public final class Gemma3Model: LanguageModel, @unchecked Sendable {
    struct Layer {
        let attnNorm, qNorm, kNorm, postAttnNorm: RowNorm  // over (width), (hd), (hd), (width)
        let wq, wk, wv, wo: WeightMatrix
        let ffnNorm, postFFNNorm: RowNorm                  // over (width)
        let ffn: FeedForward                               // GeGLU
        let window: Int?                                   // sliding window, nil for global layers
    }

    public let config: ModelConfig
    let matmul: Matmul
    let weights: WeightSource        // the mapping the weights live in
    let embedding: WeightMatrix      // (vocab, width), tied with the output
    let layers: [Layer]
    let head: LMHead                 // RMSNorm, then the embedding
    let globalInvFreq: [Float]       // (ropeDim / 2)
    let localInvFreq: [Float]        // (ropeDim / 2)
    let attention: Attention
    /// Every `slidingWindowPattern`-th layer is global, the others slide (all Gemma 3 sizes;
    /// a file may say otherwise in `gemma3.attention.sliding_window_pattern`).
    static let slidingWindowPattern = 6
    static let localRopeBase = 10_000.0

    /// The GGUF hyperparameters, with the local layers' window. Gemma 3 4B and up scale the
    /// global layers' RoPE linearly (`rope.scaling.type` linear, factor 8: `ropeLinearScale`);
    /// the local layers keep theirs unscaled, as llama.cpp does.
    @Sendable static func config(_ file: GGUFFile) throws -> ModelConfig {
        var c = try ModelConfig.fromGGUF(file, ropeNeox: true)
        c.slidingWindow = file.metadata["gemma3.attention.sliding_window"]?.int
        if let pattern = file.metadata["gemma3.attention.sliding_window_pattern"]?.int, pattern != slidingWindowPattern {
            throw ModelError.badHyperparameter("gemma3 sliding_window_pattern \(pattern) (Tern runs \(slidingWindowPattern))")
        }
        if let base = file.metadata["gemma3.rope.freq_base_swa"]?.double, base != localRopeBase {
            throw ModelError.badHyperparameter("gemma3 rope.freq_base_swa \(base) (Tern runs \(localRopeBase))")
        }
        return c
    }

    public init(config c: ModelConfig, weights file: WeightSource, matmul: Matmul) throws {
        config = c
        weights = file
        self.matmul = matmul
        let w = c.embeddingLength, hd = c.keyLength, eps = c.normEpsilon
        embedding = try file.matrix("token_embd.weight", rows: c.vocabularySize, cols: w)
        layers = try (0 ..< c.blockCount).map { i in
            let p = "blk.\(i)."
            let isGlobal = (i + 1) % Self.slidingWindowPattern == 0
            let (wq, wk, wv, wo) = try file.attentionProjections(prefix: p, config: c)
            return Layer(attnNorm: try .rms(file, p + "attn_norm.weight", width: w, eps: eps),
                         qNorm: try .rms(file, p + "attn_q_norm.weight", width: hd, eps: eps),
                         kNorm: try .rms(file, p + "attn_k_norm.weight", width: hd, eps: eps),
                         postAttnNorm: try .rms(file, p + "post_attention_norm.weight", width: w, eps: eps),
                         wq: wq, wk: wk, wv: wv, wo: wo,
                         ffnNorm: try .rms(file, p + "ffn_norm.weight", width: w, eps: eps),
                         postFFNNorm: try .rms(file, p + "post_ffw_norm.weight", width: w, eps: eps),
                         ffn: try FeedForward(file, prefix: p, config: c, gated: true, activation: .gelu),
                         window: isGlobal ? nil : c.slidingWindow)
        }
        head = LMHead(norm: try .rms(file, "output_norm.weight", width: w, eps: eps), output: embedding)
        globalInvFreq = Ops.ropeInverseFrequencies(ropeDim: c.ropeDimensionCount, base: c.ropeBase)
        localInvFreq = Ops.ropeInverseFrequencies(ropeDim: c.ropeDimensionCount, base: Self.localRopeBase)
        attention = Attention(heads: c.headCount, kvHeads: c.headCountKV, headDim: hd, ropeDim: c.ropeDimensionCount,
                              neox: true, scale: 1 / Float(hd).squareRoot())
        matmul.prepare(layers.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo] + $0.ffn.weights } + [embedding])
    }

    public var layerWindows: [Int?] { layers.map(\.window) }

    public func forward(_ batch: ForwardBatch, cache: PagedKVCache) throws -> FloatBuffer {
        try forwardWithHidden(batch, cache: cache).logits
    }

    /// Embeddings pool the states after the output norm: the file's pooling, else the last token's.
    public var pooling: Pooling? { config.pooling ?? .last }

    public func forwardWithHidden(_ batch: ForwardBatch, cache: PagedKVCache) throws -> (logits: FloatBuffer, hidden: FloatBuffer) {
        try validate(batch, cache: cache)
        let c = config, n = batch.numTokens, width = c.embeddingLength
        let plan = batch.rowPlan()  // short sequences take GEMV, long prompt chunks GEMM
        let s = TransformerScratch(rows: n, config: c, gated: true)
        let globalRope = Attention.ropeTables(batch, invFreq: globalInvFreq, linearScale: c.ropeLinearScale)
        let localRope = Attention.ropeTables(batch, invFreq: localInvFreq, linearScale: 1)

        // x = embedding rows · √width
        s.embed(batch, embedding, matmul: matmul)
        let embedScale = Float(width).squareRoot()
        for i in 0 ..< n * width { s.x[i] *= embedScale }
        for (li, l) in layers.enumerated() {
            // xn = RMSNorm(x) · attn_norm
            l.attnNorm.apply(s.x, into: s.xn, rows: n)
            // q, k, v projections; each query and key head RMS-normed on its own
            matmul.apply([l.wq, l.wk, l.wv], x: s.xn.pointer, m: n, ys: [s.q.pointer, s.k.pointer, s.v.pointer], plan: plan)
            l.qNorm.apply(s.q, into: s.q, rows: n * c.headCount)
            l.kNorm.apply(s.k, into: s.k, rows: n * c.headCountKV)
            // att = attention over the window (local layers) or everything (global layers)
            attention.run(batch: batch, layer: li, cache: cache, matmul: matmul, q: s.q, k: s.k, v: s.v, out: s.att,
                          rope: l.window == nil ? globalRope : localRope, window: l.window)
            // x += RMSNorm(att Woᵀ) · post_attention_norm
            matmul.apply(l.wo, x: s.att.pointer, m: n, y: s.xn.pointer, plan: plan)
            l.postAttnNorm.apply(s.xn, into: s.xn, rows: n)
            Ops.add(s.x.pointer, s.xn.pointer, n: n * width)
            // x += RMSNorm((gelu(xn Wgateᵀ) ⊙ xn Wupᵀ) Wdownᵀ) · post_ffw_norm, xn = RMSNorm(x) · ffn_norm
            l.ffnNorm.apply(s.x, into: s.xn, rows: n)
            l.ffn.apply(s, rows: n, plan: plan, matmul: matmul)
            l.postFFNNorm.apply(s.xn, into: s.xn, rows: n)
            Ops.add(s.x.pointer, s.xn.pointer, n: n * width)
        }
        // logits = RMSNorm(x[rows]) · output_norm · Eᵀ
        return head.outputs(s.x, batch: batch, matmul: matmul)
    }
}
