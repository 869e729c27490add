import Kernels

/// The attention step shared by every architecture: rotary embedding of queries and keys,
/// K/V written into the paged cache, then each query head attends over its sequence's
/// positions through the block table.
struct Attention {
    let heads: Int
    let kvHeads: Int
    let headDim: Int
    let ropeDim: Int
    let neox: Bool
    let scale: Float

    /// Per-row cos/sin tables for the batch's positions: (numTokens, ropeDim / 2) each, times
    /// `magnitude` (LongRoPE's attention factor, scaling the rotated dimensions of q and k).
    static func ropeTables(_ batch: ForwardBatch, invFreq: [Float], linearScale: Double,
                           magnitude: Float = 1) -> (cos: FloatBuffer, sin: FloatBuffer) {
        let half = invFreq.count
        let cosT = FloatBuffer(count: batch.numTokens * half), sinT = FloatBuffer(count: batch.numTokens * half)
        for s in batch.sequences {
            for (i, row) in s.tokenRange.enumerated() {
                let pos = Double(s.startPosition + i) / linearScale
                for j in 0 ..< half {
                    let theta = pos * Double(invFreq[j])
                    cosT[row * half + j] = Float(cos(theta)) * magnitude
                    sinT[row * half + j] = Float(sin(theta)) * magnitude
                }
            }
        }
        return (cosT, sinT)
    }

    /// q: (numTokens, heads * headDim), k and v: (numTokens, kvHeads * headDim), all rotated in
    /// place where needed; out: (numTokens, heads * headDim), which may be q itself (each task
    /// reads its token's query slice whole before writing the same slice). `window` limits each query to the
    /// most recent `window` positions (sliding-window layers); nil attends to all. Not `causal`
    /// (encoders): each query attends to every position of its sequence's tokens in this batch.
    func run(batch: ForwardBatch, layer: Int, cache: PagedKVCache, matmul: Matmul,
             q: FloatBuffer, k: FloatBuffer, v: FloatBuffer, out: FloatBuffer,
             rope: (cos: FloatBuffer, sin: FloatBuffer)?, window: Int? = nil, causal: Bool = true) {
        let pool = matmul.pool
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim, half = ropeDim / 2
        if let rope {
            for row in 0 ..< batch.numTokens {
                let c = rope.cos.pointer + row * half, s = rope.sin.pointer + row * half
                Ops.rope(q.row(row, width: qWidth), heads: heads, headDim: headDim, ropeDim: ropeDim, cos: c, sin: s, neox: neox)
                Ops.rope(k.row(row, width: kvWidth), heads: kvHeads, headDim: headDim, ropeDim: ropeDim, cos: c, sin: s, neox: neox)
            }
        }
        let t = cache.layout.layerTable[layer]  // this layer's block table
        for s in batch.sequences {
            for (i, row) in s.tokenRange.enumerated() {
                let p = s.startPosition + i, block = Int(s.blockTables[t][p / cache.blockSize])
                cache.write(layer: layer, block: block, row: p % cache.blockSize, key: k.row(row, width: kvWidth), value: v.row(row, width: kvWidth))
            }
        }
        // Every query row takes the same kernel, whatever its chunk or batch: its scores, softmax
        // and weighted sum of values are fixed-order sums over its own positions, walked in runs
        // cut by position alone (see tern_attention_group_flat), so a row's bits do not depend on
        // how its prompt was chunked, which batch computed its cached K/V, or its neighbours.
        // Long runs of new tokens (prompt chunks) over an f16/q8_0 cache first convert their
        // sequence's K/V to floats once (the conversion the kernel applies per row otherwise).
        let flat = batch.sequences.map { s in
            s.tokenRange.count >= Self.flatMinTokens && cache.dtype != .f32 ? flatRows(s, cache: cache, layer: layer, pool: pool, window: window) : nil
        }
        let group = heads / kvHeads
        let work = batch.attentionRuns(flat: flat.map { $0 != nil }, window: window, causal: causal, tasks: 2 * pool.threadCount,
                                       kvHeads: kvHeads, group: group, maxScores: Self.maxRunScores)
        let tables = batch.sequences.map { $0.blockTables[t] }
        // Scores of the largest task: its rows × `group` heads × its longest row's positions.
        let scoreCount = work.map { $0.count * group * ($0.end + (causal ? $0.count - 1 : 0) - $0.start) }.max() ?? 1
        let (kvHeads, headDim, blockSize, scale) = (self.kvHeads, self.headDim, cache.blockSize, self.scale)
        let (keys, values, dtype) = (cache.keys(layer), cache.values(layer), cache.dtype)
        let (blockStride, headStride) = (cache.blockBytes, cache.segmentOffset(block: 0, head: 1, row: 0))
        // One task per (run of tokens, KV head): its tokens' `group` query heads read each key/value row once.
        pool.parallelRanges(work.count * kvHeads, minChunk: 1, chunksPerThread: 8) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, scoreCount)) { scores in
                for item in range {
                    let (w, g) = (work[item / kvHeads], item % kvHeads)
                    let (qg, og) = (q.row(w.row, width: qWidth) + g * group * headDim, out.row(w.row, width: qWidth) + g * group * headDim)
                    if let f = flat[w.seq] {
                        let at = g * f.end * headDim
                        Ops.attentionGroup(flatFrom: dtype, q: qg, qStride: headDim, group: group, headDim: headDim,
                                           keys: f.keys.pointer + at, values: f.values.pointer + at, blockSize: blockSize,
                                           range: w.start ..< w.end, scale: scale, scores: scores.baseAddress!, out: og, outStride: headDim)
                        continue
                    }
                    tables[w.seq].withUnsafeBufferPointer { table in
                        Ops.attentionRows(dtype: dtype, q: qg, qRowStride: qWidth, rows: w.count, group: group, headDim: headDim,
                                          keys: keys + g * headStride, values: values + g * headStride, blockStride: blockStride,
                                          blockTable: table.baseAddress!, blockSize: blockSize, range: w.start ..< w.end, causal: causal,
                                          scale: scale, scores: scores.baseAddress!, out: og, outRowStride: qWidth)
                    }
                }
            }
        }
    }

    /// Scores one task holds at most when tokens attend together (1 MB; a run of tokens at
    /// long context shrinks to fit, down to one token).
    static let maxRunScores = 1 << 18

    /// New-token runs from this long take the converted rows of `flatRows`.
    static let flatMinTokens = 16

    /// One sequence's cached keys and values as floats, per KV head: keys and values
    /// (kvHeads, end, headDim), position p of head g at row g * end + p; rows before the first
    /// new token's window are left unset (never read).
    func flatRows(_ s: ForwardBatch.Segment, cache: PagedKVCache, layer: Int, pool: ComputePool,
                  window: Int?) -> (keys: FloatBuffer, values: FloatBuffer, end: Int) {
        let end = s.startPosition + s.tokenRange.count
        let first = window.map { max(0, s.startPosition + 1 - $0) } ?? 0
        let keys = FloatBuffer(count: kvHeads * end * headDim)    // (kvHeads, end, headDim)
        let values = FloatBuffer(count: kvHeads * end * headDim)  // (kvHeads, end, headDim)
        let (kc, vc, dtype, kvHeads, headDim, blockSize) = (cache.keys(layer), cache.values(layer), cache.dtype, self.kvHeads, self.headDim, cache.blockSize)
        let table = s.blockTables[cache.layout.layerTable[layer]]
        pool.parallelRanges(end - first, minChunk: 64, chunksPerThread: 1) { range in
            for p in range.lowerBound + first ..< range.upperBound + first {
                let block = Int(table[p / blockSize])
                for g in 0 ..< kvHeads {
                    let at = cache.segmentOffset(block: block, head: g, row: p % blockSize)
                    dtype.load(kc + at, offset: 0, count: headDim, into: keys.pointer + (g * end + p) * headDim)
                    dtype.load(vc + at, offset: 0, count: headDim, into: values.pointer + (g * end + p) * headDim)
                }
            }
        }
        return (keys, values, end)
    }
}

#if canImport(Glibc)
import Glibc
#endif
