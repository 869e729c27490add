import Kernels
import ModelFormats

/// GPT-2: learned position embeddings added to the token embeddings, pre-LayerNorm blocks
/// (with biases) of multi-head attention through one fused QKV projection and a GELU
/// feed-forward, every projection with a bias, a final LayerNorm, and the token embedding
/// as the output head. Tensors under llama.cpp's GGUF names (`attn_qkv`, `position_embd`, …).
public final class GPT2Model: LanguageModel, @unchecked Sendable {
    struct Layer {
        let norm1, norm1Bias: UnsafePointer<Float>       // (width)
        let wq, wk, wv: WeightMatrix                    // (width, width) each: row blocks of the fused QKV
        let bqkv: UnsafePointer<Float>                  // (3 * width): q, k, v biases
        let wo: WeightMatrix                            // (width, width)
        let bo: UnsafePointer<Float>                    // (width)
        let norm2, norm2Bias: UnsafePointer<Float>       // (width)
        let up: WeightMatrix                            // (ffn, width)
        let bUp: UnsafePointer<Float>                   // (ffn)
        let down: WeightMatrix                          // (width, ffn)
        let bDown: UnsafePointer<Float>                 // (width)
    }

    public let config: ModelConfig
    public let matmul: Matmul
    let weights: WeightSource
    let embedding: WeightMatrix      // (vocab, width), tied with the output unless `output.weight` exists
    let positions: WeightMatrix      // (context, width)
    let layers: [Layer]
    let outputNorm, outputNormBias: UnsafePointer<Float>  // (width)
    let output: WeightMatrix         // (vocab, width)
    let attention: Attention

    public convenience init(file: GGUFFile, matmul: Matmul) throws {
        try self.init(config: ModelConfig.fromGGUF(file, ropeNeox: false), weights: file, matmul: matmul)
    }

    public init(config c: ModelConfig, weights file: WeightSource, matmul: Matmul) throws {
        guard c.headCountKV == c.headCount, c.headCount * c.keyLength == c.embeddingLength else {
            throw ModelError.badHyperparameter("GPT-2 has as many key/value heads as heads, each width / heads wide")
        }
        config = c
        weights = file
        self.matmul = matmul
        let w = c.embeddingLength, ffn = c.feedForwardLength
        embedding = try file.matrix("token_embd.weight", rows: c.vocabularySize, cols: w)
        positions = try file.matrix("position_embd.weight", rows: c.contextLength, cols: w)
        layers = try (0 ..< c.blockCount).map { i in
            let p = "blk.\(i)."
            let qkv = try file.matrix(p + "attn_qkv.weight", rows: 3 * w, cols: w)
            func part(_ j: Int) -> WeightMatrix {  // rows [j·w, (j+1)·w) of the fused projection
                WeightMatrix(type: qkv.type, rows: w, cols: w, rowBytes: qkv.rowBytes, data: qkv.data + j * w * qkv.rowBytes)
            }
            return Layer(norm1: try file.vector(p + "attn_norm.weight", count: w), norm1Bias: try file.vector(p + "attn_norm.bias", count: w),
                         wq: part(0), wk: part(1), wv: part(2), bqkv: try file.vector(p + "attn_qkv.bias", count: 3 * w),
                         wo: try file.matrix(p + "attn_output.weight", rows: w, cols: w), bo: try file.vector(p + "attn_output.bias", count: w),
                         norm2: try file.vector(p + "ffn_norm.weight", count: w), norm2Bias: try file.vector(p + "ffn_norm.bias", count: w),
                         up: try file.matrix(p + "ffn_up.weight", rows: ffn, cols: w), bUp: try file.vector(p + "ffn_up.bias", count: ffn),
                         down: try file.matrix(p + "ffn_down.weight", rows: w, cols: ffn), bDown: try file.vector(p + "ffn_down.bias", count: w))
        }
        outputNorm = try file.vector("output_norm.weight", count: w)
        outputNormBias = try file.vector("output_norm.bias", count: w)
        output = file.hasTensor("output.weight") ? try file.matrix("output.weight", rows: c.vocabularySize, cols: w) : embedding
        attention = Attention(heads: c.headCount, kvHeads: c.headCount, headDim: c.keyLength, ropeDim: 0,
                              neox: false, scale: 1 / Float(c.keyLength).squareRoot())
    }

    public var calibrationWeights: [WeightMatrix] { Array(matmulWeights.prefix(2 * 6)) }

    public var matmulWeights: [WeightMatrix] {
        layers.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo, $0.up, $0.down] } + [output]
    }

    public func forward(_ batch: ForwardBatch, cache: PagedKVCache) throws -> FloatBuffer {
        try validate(batch, cache: cache)
        let c = config, n = batch.numTokens, width = c.embeddingLength, ffn = c.feedForwardLength, eps = c.normEpsilon
        for s in batch.sequences where s.startPosition + s.tokenRange.count > c.contextLength {
            throw ModelError.contextOverflow(position: s.startPosition + s.tokenRange.count, limit: c.contextLength)
        }
        let plan = batch.rowPlan()
        let x = FloatBuffer(count: n * width)      // (n, width) residual stream
        let xn = FloatBuffer(count: n * width)     // (n, width) sublayer input / output
        let q = FloatBuffer(count: n * width)      // (n, width)
        let k = FloatBuffer(count: n * width)      // (n, width)
        let v = FloatBuffer(count: n * width)      // (n, width)
        let att = FloatBuffer(count: n * width)    // (n, width)
        let hidden = FloatBuffer(count: n * ffn)   // (n, ffn)
        let scratch = FloatBuffer(count: width)    // (width) one position embedding row

        // x = token embedding + position embedding
        for s in batch.sequences {
            for (i, row) in s.tokenRange.enumerated() {
                embedding.dequantizeRow(Int(batch.tokenIDs[row]), into: x.row(row, width: width))
                positions.dequantizeRow(s.startPosition + i, into: scratch.pointer)
                Ops.add(x.row(row, width: width), scratch.pointer, n: width)
            }
        }
        for (li, l) in layers.enumerated() {
            // q, k, v = LayerNorm(x) Wqkvᵀ + b
            for r in 0 ..< n { Ops.layerNorm(x.row(r, width: width), weight: l.norm1, bias: l.norm1Bias, out: xn.row(r, width: width), n: width, eps: eps) }
            matmul.apply([l.wq, l.wk, l.wv], x: xn.pointer, m: n, ys: [q.pointer, k.pointer, v.pointer], plan: plan)
            for (j, buffer) in [q, k, v].enumerated() {
                for r in 0 ..< n { Ops.add(buffer.row(r, width: width), l.bqkv + j * width, n: width) }
            }
            attention.run(batch: batch, layer: li, cache: cache, pool: matmul.pool, q: q, k: k, v: v, out: att, rope: nil,
                          blasAllowed: matmul.path != .gemv)
            // x += att Woᵀ + bo
            matmul.apply(l.wo, x: att.pointer, m: n, y: xn.pointer, plan: plan)
            addRows(x, xn, bias: l.bo, rows: n)
            // x += gelu(LayerNorm(x) Wupᵀ + bup) Wdownᵀ + bdown
            for r in 0 ..< n { Ops.layerNorm(x.row(r, width: width), weight: l.norm2, bias: l.norm2Bias, out: xn.row(r, width: width), n: width, eps: eps) }
            matmul.apply(l.up, x: xn.pointer, m: n, y: hidden.pointer, plan: plan)
            for r in 0 ..< n { Ops.add(hidden.row(r, width: ffn), l.bUp, n: ffn) }
            let h = hidden.pointer
            matmul.pool.parallelRanges(n * ffn, minChunk: 4096, chunksPerThread: 1) { r in Ops.gelu(h + r.lowerBound, n: r.count) }
            matmul.apply(l.down, x: hidden.pointer, m: n, y: xn.pointer, plan: plan)
            addRows(x, xn, bias: l.bDown, rows: n)
        }
        // logits = LayerNorm(x[rows]) Woutᵀ
        let rows = batch.logitRows
        let hOut = FloatBuffer(count: rows.count * width)  // (rows.count, width)
        for (i, r) in rows.enumerated() {
            Ops.layerNorm(x.row(r, width: width), weight: outputNorm, bias: outputNormBias, out: hOut.row(i, width: width), n: width, eps: eps)
        }
        let out = FloatBuffer(count: rows.count * c.vocabularySize, zeroed: false)  // (rows.count, vocab), every entry written below
        matmul.apply(output, x: hOut.pointer, m: rows.count, y: out.pointer, plan: batch.logitsPlan())
        return out
    }

    /// x += y + bias, row by row.
    private func addRows(_ x: FloatBuffer, _ y: FloatBuffer, bias: UnsafePointer<Float>, rows: Int) {
        let width = config.embeddingLength
        for r in 0 ..< rows {
            Ops.add(y.row(r, width: width), bias, n: width)
            Ops.add(x.row(r, width: width), y.row(r, width: width), n: width)
        }
    }
}
