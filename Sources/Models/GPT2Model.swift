import Kernels
import ModelFormats

/// GPT-2: learned position embeddings added to the token embeddings, pre-LayerNorm blocks
/// (with biases) of multi-head attention through one fused QKV projection and a GELU
/// feed-forward, every projection with a bias, a final LayerNorm, and the token embedding
/// as the output head. Tensors under llama.cpp's GGUF names (`attn_qkv`, `position_embd`, …).
public final class GPT2Model: LanguageModel, @unchecked Sendable {
    struct Layer {
        let norm1: RowNorm                              // LayerNorm over (width)
        let wq, wk, wv: WeightMatrix                    // (width, width) each: row blocks of the fused QKV
        let bqkv: UnsafePointer<Float>                  // (3 * width): q, k, v biases
        let wo: WeightMatrix                            // (width, width)
        let bo: UnsafePointer<Float>                    // (width)
        let norm2: RowNorm                              // LayerNorm over (width)
        let ffn: FeedForward                            // GELU, with the up projection's bias
        let bDown: UnsafePointer<Float>                 // (width)
    }

    public let config: ModelConfig
    let matmul: Matmul
    let weights: WeightSource
    let embedding: WeightMatrix      // (vocab, width), tied with the output unless `output.weight` exists
    let positions: WeightMatrix      // (context, width)
    let layers: [Layer]
    let head: LMHead                 // LayerNorm, then the output matrix
    let attention: Attention

    public init(config c: ModelConfig, weights file: WeightSource, matmul: Matmul) throws {
        try c.requireMultiHead("GPT-2")
        config = c
        weights = file
        self.matmul = matmul
        let w = c.embeddingLength, eps = c.normEpsilon
        embedding = try file.matrix("token_embd.weight", rows: c.vocabularySize, cols: w)
        positions = try file.matrix("position_embd.weight", rows: c.contextLength, cols: w)
        layers = try (0 ..< c.blockCount).map { i in
            let p = "blk.\(i)."
            let qkv = try file.matrix(p + "attn_qkv.weight", rows: 3 * w, cols: w)
            func part(_ j: Int) -> WeightMatrix {  // rows [j·w, (j+1)·w) of the fused projection
                WeightMatrix(type: qkv.type, rows: w, cols: w, rowBytes: qkv.rowBytes, data: qkv.data + j * w * qkv.rowBytes)
            }
            return Layer(norm1: try .layer(file, p + "attn_norm", width: w, eps: eps),
                         wq: part(0), wk: part(1), wv: part(2), bqkv: try file.vector(p + "attn_qkv.bias", count: 3 * w),
                         wo: try file.matrix(p + "attn_output.weight", rows: w, cols: w), bo: try file.vector(p + "attn_output.bias", count: w),
                         norm2: try .layer(file, p + "ffn_norm", width: w, eps: eps),
                         ffn: try FeedForward(file, prefix: p, config: c, gated: false, activation: .gelu),
                         bDown: try file.vector(p + "ffn_down.bias", count: w))
        }
        let output = file.hasTensor("output.weight") ? try file.matrix("output.weight", rows: c.vocabularySize, cols: w) : embedding
        head = LMHead(norm: try .layer(file, "output_norm", width: w, eps: eps), output: output)
        attention = Attention(heads: c.headCount, kvHeads: c.headCount, headDim: c.keyLength, ropeDim: 0,
                              neox: false, scale: 1 / Float(c.keyLength).squareRoot())
        matmul.prepare(layers.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo] + $0.ffn.weights } + [output])
    }

    public func forward(_ batch: ForwardBatch, cache: PagedKVCache) throws -> FloatBuffer {
        try forwardWithHidden(batch, cache: cache).logits
    }

    /// Embeddings pool the states after the output norm: the file's pooling, else the last token's.
    public var pooling: Pooling? { config.pooling ?? .last }

    public func forwardWithHidden(_ batch: ForwardBatch, cache: PagedKVCache) throws -> (logits: FloatBuffer, hidden: FloatBuffer) {
        try validate(batch, cache: cache)
        let c = config, n = batch.numTokens, width = c.embeddingLength
        for s in batch.sequences where s.startPosition + s.tokenRange.count > c.contextLength {
            throw ModelError.contextOverflow(position: s.startPosition + s.tokenRange.count, limit: c.contextLength)
        }
        let plan = batch.rowPlan()  // short sequences take GEMV, long prompt chunks GEMM
        let s = TransformerScratch(rows: n, config: c, gated: false)

        // x = token embedding + position embedding
        s.embed(batch, embedding, matmul: matmul)
        s.addPositions(batch, positions)
        for (li, l) in layers.enumerated() {
            // q, k, v = LayerNorm(x) Wqkvᵀ + b
            l.norm1.apply(s.x, into: s.xn, rows: n)
            matmul.apply([l.wq, l.wk, l.wv], x: s.xn.pointer, m: n, ys: [s.q.pointer, s.k.pointer, s.v.pointer], plan: plan)
            for (j, buffer) in [s.q, s.k, s.v].enumerated() { buffer.addToRows(l.bqkv + j * width, rows: n, width: width) }
            // att = softmax(q kᵀ / √hd) v over each sequence's cached positions
            attention.run(batch: batch, layer: li, cache: cache, matmul: matmul, q: s.q, k: s.k, v: s.v, out: s.att, rope: nil)
            // x += att Woᵀ + bo
            matmul.apply(l.wo, x: s.att.pointer, m: n, y: s.xn.pointer, plan: plan)
            s.xn.addToRows(l.bo, rows: n, width: width)
            Ops.add(s.x.pointer, s.xn.pointer, n: n * width)
            // x += gelu(LayerNorm(x) Wupᵀ + bup) Wdownᵀ + bdown
            l.norm2.apply(s.x, into: s.xn, rows: n)
            l.ffn.apply(s, rows: n, plan: plan, matmul: matmul)
            s.xn.addToRows(l.bDown, rows: n, width: width)
            Ops.add(s.x.pointer, s.xn.pointer, n: n * width)
        }
        // logits = LayerNorm(x[rows]) Woutᵀ
        return head.outputs(s.x, batch: batch, matmul: matmul)
    }
}
