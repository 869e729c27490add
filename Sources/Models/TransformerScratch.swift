import Kernels

/// The activations of one forward pass over `rows` tokens, allocated once per pass and
/// shared by its layers.
struct TransformerScratch {
    let x: FloatBuffer     // (rows, width) residual stream
    let xn: FloatBuffer    // (rows, width) a sublayer's input, then its output
    let q: FloatBuffer     // (rows, heads * hd) queries, then the attention output written over them
    let k: FloatBuffer     // (rows, kvHeads * hd)
    let v: FloatBuffer     // (rows, kvHeads * hd)
    let hidden: FloatBuffer  // (window rows, ffn) the feed-forward's hidden layer (its gate half when gated)
    let up: FloatBuffer?     // (window rows, ffn) a gated feed-forward's up half

    /// The attention output (rows, heads * hd): `q`'s buffer. Attention reads a token's query
    /// slice whole (its scores) before it writes the same slice, and nothing reads queries after
    /// it, so a prompt's pass needs no second (rows, heads * hd) buffer (4 MiB at 512 rows).
    var att: FloatBuffer { q }

    /// Rows the feed-forward computes at a time (more when one GEMM call needs more): its hidden
    /// layer is the largest activation (2 × 64 × 8192 floats = 4 MiB for Llama-3.2-1B, rather
    /// than 32 MiB for a 512-row prompt). 64 rows with the packed AVX-512 kernels (each 16-row
    /// weight group meets the window's activation rows in the cache: 1B-shape Q4_K_M pp512
    /// 417–420 tok/s at 64 against 417–423 at 128); 128 with the AVX2 tiles, which decode a
    /// block's scales once per window (pp512 135–136 at 64 against 140–141 at 128). The window
    /// changes no bit: each row's arithmetic is that of one pass.
    static var ffnWindow: Int { Ops.usingAVX512 ? 64 : 128 }

    init(rows n: Int, config c: ModelConfig, gated: Bool) {
        let qWidth = c.headCount * c.keyLength
        x = FloatBuffer(count: n * c.embeddingLength)
        xn = FloatBuffer(count: n * c.embeddingLength)
        q = FloatBuffer(count: n * qWidth)
        k = FloatBuffer(count: n * c.kvWidth)
        v = FloatBuffer(count: n * c.kvWidth)
        let ffnRows = min(n, Self.ffnWindow)
        hidden = FloatBuffer(count: ffnRows * c.feedForwardLength)
        up = gated ? FloatBuffer(count: ffnRows * c.feedForwardLength) : nil
    }

    /// x[r] = row tokenIDs[r] of `embedding` (vocab, width).
    func embed(_ batch: ForwardBatch, _ embedding: WeightMatrix, matmul: Matmul) {
        for (row, t) in batch.tokenIDs.enumerated() {
            matmul.dequantizeRows(embedding, Int(t), Int(t) + 1, into: x.row(row, width: embedding.cols))
        }
    }
}

extension TransformerScratch {
    /// x[r] += row (position of token r) of `positions` (context, width), + `extra` (width) when
    /// given: learned absolute positions (GPT-2, BERT). Uses `xn` as scratch.
    func addPositions(_ batch: ForwardBatch, _ positions: WeightMatrix, plus extra: UnsafePointer<Float>? = nil) {
        let width = positions.cols
        for seq in batch.sequences {
            for (i, row) in seq.tokenRange.enumerated() {
                positions.dequantizeRow(seq.startPosition + i, into: xn.row(row, width: width))
                if let extra { Ops.add(xn.row(row, width: width), extra, n: width) }
            }
        }
        Ops.add(x.pointer, xn.pointer, n: batch.numTokens * width)
    }
}

extension ModelConfig {
    /// Plain multi-head attention: as many key/value heads as heads, each width / heads wide.
    func requireMultiHead(_ family: String) throws {
        guard headCountKV == headCount, headCount * keyLength == embeddingLength else {
            throw ModelError.badHyperparameter("\(family) has as many key/value heads as heads, each width / heads wide")
        }
    }
}

extension FloatBuffer {
    /// self[r] += bias for the first `rows` rows of `width` floats (nothing without a bias).
    func addToRows(_ bias: UnsafePointer<Float>?, rows: Int, width: Int) {
        guard let bias else { return }
        for r in 0 ..< rows { Ops.add(row(r, width: width), bias, n: width) }
    }
}
