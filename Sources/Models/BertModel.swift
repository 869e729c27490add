import Kernels
import ModelFormats

/// BERT encoders (`bert`: all-MiniLM, BGE, E5 and the like): token + learned position +
/// token-type embeddings, LayerNorm, then post-norm blocks of bidirectional multi-head
/// attention and an (erf) GELU feed-forward, every projection with a bias. `nomic-bert`
/// (nomic-embed-text) is the same frame with rotary positions (NeoX) instead of learned ones,
/// a fused bias-free QKV and a SwiGLU feed-forward. It embeds only: its output is the final
/// hidden state of each asked-for row (pooled by the engine), no logits. Tensors under
/// llama.cpp's GGUF names (`token_types`, `attn_output_norm`, `layer_output_norm`, …).
public final class BertModel: LanguageModel, @unchecked Sendable {
    struct Layer {
        let wq, wk, wv, wo: WeightMatrix             // (width, width) each (row views of a fused QKV for nomic-bert)
        let bq, bk, bv, bo: UnsafePointer<Float>?    // (width) each; nomic-bert has none
        let attnNorm: RowNorm                        // LayerNorm over (width), after the attention residual
        let ffn: FeedForward                         // GELU with the up projection's bias; nomic-bert: SwiGLU
        let bDown: UnsafePointer<Float>?             // (width)
        let outNorm: RowNorm                         // LayerNorm over (width), after the feed-forward residual
    }

    public let config: ModelConfig
    let matmul: Matmul
    let weights: WeightSource
    let embedding: WeightMatrix      // (vocab, width)
    let positions: WeightMatrix?     // (context, width); nil: rotary positions (nomic-bert)
    let invFreq: [Float]             // (headDim / 2) rotary frequencies, when rotary
    let tokenType: WeightMatrix      // (types, width): row 0 is added to every token (one segment)
    let embedNorm: RowNorm           // LayerNorm over (width)
    let layers: [Layer]
    let attention: Attention

    public init(config c: ModelConfig, weights file: WeightSource, matmul: Matmul) throws {
        try c.requireMultiHead("BERT")
        config = c
        weights = file
        self.matmul = matmul
        let w = c.embeddingLength, eps = c.normEpsilon
        embedding = try file.matrix("token_embd.weight", rows: c.vocabularySize, cols: w)
        let rotary = c.architecture == "nomic-bert"
        positions = rotary ? nil : try file.matrix("position_embd.weight", rows: c.contextLength, cols: w)
        tokenType = try (try? file.matrix("token_types.weight", rows: 2, cols: w)) ?? file.matrix("token_types.weight", rows: 1, cols: w)
        embedNorm = try .layer(file, "token_embd_norm", width: w, eps: eps)
        layers = try (0 ..< c.blockCount).map { i in
            let p = "blk.\(i)."
            let (wq, wk, wv, wo) = try file.attentionProjections(prefix: p, config: c)
            func bias(_ name: String) throws -> UnsafePointer<Float>? { rotary ? nil : try file.vector(p + name, count: w) }
            return Layer(wq: wq, wk: wk, wv: wv, wo: wo,
                         bq: try bias("attn_q.bias"), bk: try bias("attn_k.bias"), bv: try bias("attn_v.bias"), bo: try bias("attn_output.bias"),
                         attnNorm: try .layer(file, p + "attn_output_norm", width: w, eps: eps),
                         ffn: try FeedForward(file, prefix: p, config: c, gated: rotary, activation: rotary ? .silu : .geluErf),
                         bDown: try bias("ffn_down.bias"),
                         outNorm: try .layer(file, p + "layer_output_norm", width: w, eps: eps))
        }
        invFreq = rotary ? Ops.ropeInverseFrequencies(ropeDim: c.ropeDimensionCount, base: c.ropeBase) : []
        attention = Attention(heads: c.headCount, kvHeads: c.headCount, headDim: c.keyLength, ropeDim: rotary ? c.ropeDimensionCount : 0,
                              neox: true, scale: 1 / Float(c.keyLength).squareRoot())
        matmul.prepare(layers.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo] + $0.ffn.weights })
    }

    /// Mean pooling unless the file names another (`bert.pooling_type`).
    public var pooling: Pooling? { config.pooling ?? .mean }
    public var generates: Bool { false }

    public func forward(_ batch: ForwardBatch, cache: PagedKVCache) throws -> FloatBuffer {
        try forwardWithHidden(batch, cache: cache).logits
    }

    /// Each sequence must come whole (startPosition 0, every token): attention looks both ways.
    public func forwardWithHidden(_ batch: ForwardBatch, cache: PagedKVCache) throws -> (logits: FloatBuffer, hidden: FloatBuffer) {
        guard batch.logitRows.isEmpty else { throw ModelError.cannotGenerate(config.architecture) }
        try validate(batch, cache: cache)
        let c = config, n = batch.numTokens, width = c.embeddingLength
        for s in batch.sequences where s.startPosition != 0 || s.tokenRange.count > c.contextLength {
            throw ModelError.contextOverflow(position: s.startPosition + s.tokenRange.count, limit: s.startPosition == 0 ? c.contextLength : 0)
        }
        let plan = batch.rowPlan()
        let s = TransformerScratch(rows: n, config: c, gated: positions == nil)
        let rope = positions == nil ? Attention.ropeTables(batch, invFreq: invFreq, linearScale: 1) : nil

        // x = LayerNorm(token embedding + position embedding (unless rotary) + token type 0)
        s.embed(batch, embedding, matmul: matmul)
        let typeRow = FloatBuffer(count: width)  // (width)
        tokenType.dequantizeRow(0, into: typeRow.pointer)
        if let positions {
            s.addPositions(batch, positions, plus: typeRow.pointer)
        } else {
            s.x.addToRows(typeRow.pointer, rows: n, width: width)
        }
        embedNorm.apply(s.x, into: s.x, rows: n)
        for (li, l) in layers.enumerated() {
            // q, k, v = x Wᵀ + b
            matmul.apply([l.wq, l.wk, l.wv], x: s.x.pointer, m: n, ys: [s.q.pointer, s.k.pointer, s.v.pointer], plan: plan)
            s.q.addToRows(l.bq, rows: n, width: width)
            s.k.addToRows(l.bk, rows: n, width: width)
            s.v.addToRows(l.bv, rows: n, width: width)
            // att = softmax(q kᵀ / √hd) v over every position of the sequence (both directions; q, k rotated when rotary)
            attention.run(batch: batch, layer: li, cache: cache, matmul: matmul, q: s.q, k: s.k, v: s.v, out: s.att, rope: rope,
                          causal: false)
            // x = LayerNorm(x + att Woᵀ + bo)
            matmul.apply(l.wo, x: s.att.pointer, m: n, y: s.xn.pointer, plan: plan)
            s.xn.addToRows(l.bo, rows: n, width: width)
            Ops.add(s.x.pointer, s.xn.pointer, n: n * width)
            l.attnNorm.apply(s.x, into: s.x, rows: n)
            // x = LayerNorm(x + gelu(x Wupᵀ + bup) Wdownᵀ + bdown), nomic-bert: LayerNorm(x + (silu(x Wgateᵀ) ⊙ x Wupᵀ) Wdownᵀ)
            s.xn.pointer.update(from: s.x.pointer, count: n * width)
            l.ffn.apply(s, rows: n, plan: plan, matmul: matmul)
            s.xn.addToRows(l.bDown, rows: n, width: width)
            Ops.add(s.x.pointer, s.xn.pointer, n: n * width)
            l.outNorm.apply(s.x, into: s.x, rows: n)
        }
        // hidden = x[rows]
        let rows = batch.hiddenRows
        let hidden = FloatBuffer(count: rows.count * width)  // (hiddenRows.count, width)
        for (i, r) in rows.enumerated() { hidden.row(i, width: width).update(from: s.x.row(r, width: width), count: width) }
        return (FloatBuffer(count: 0), hidden)
    }
}
