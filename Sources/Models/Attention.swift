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
    /// place where needed; out: (numTokens, heads * headDim). `window` limits each query to the
    /// most recent `window` positions (sliding-window layers); nil attends to all.
    func run(batch: ForwardBatch, layer: Int, cache: PagedKVCache, matmul: Matmul,
             q: FloatBuffer, k: FloatBuffer, v: FloatBuffer, out: FloatBuffer,
             rope: (cos: FloatBuffer, sin: FloatBuffer)?, window: Int? = nil) {
        let pool = matmul.pool
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim, half = ropeDim / 2
        if let rope {
            for row in 0 ..< batch.numTokens {
                let c = rope.cos.pointer + row * half, s = rope.sin.pointer + row * half
                Ops.rope(q.row(row, width: qWidth), heads: heads, headDim: headDim, ropeDim: ropeDim, cos: c, sin: s, neox: neox)
                Ops.rope(k.row(row, width: kvWidth), heads: kvHeads, headDim: headDim, ropeDim: ropeDim, cos: c, sin: s, neox: neox)
            }
        }
        for s in batch.sequences {
            for (i, row) in s.tokenRange.enumerated() {
                let p = s.startPosition + i, block = Int(s.blockTable[p / cache.blockSize])
                cache.write(layer: layer, block: block, row: p % cache.blockSize, key: k.row(row, width: kvWidth), value: v.row(row, width: kvWidth))
            }
        }
        // Long runs of new tokens (prompt chunks) go through BLAS; short ones (decode) walk
        // the block table token by token. On the forced GEMV path every token walks, so
        // results do not depend on how a prompt was chunked.
        var short: [Int] = []
        for (si, s) in batch.sequences.enumerated() {
            if s.tokenRange.count >= Self.blasMinTokens && matmul.path != .gemv {
                runBLAS(s, cache: cache, layer: layer, pool: pool, q: q, out: out, window: window)
            } else {
                short.append(si)
            }
        }
        guard !short.isEmpty else { return }
        // One task per (sequence, token, head), spread over the pool.
        let group = heads / kvHeads
        var work: [(seq: Int, row: Int, pos: Int)] = []
        work.reserveCapacity(batch.numTokens)
        for si in short {
            let s = batch.sequences[si]
            for (i, row) in s.tokenRange.enumerated() { work.append((si, row, s.startPosition + i)) }
        }
        let tables = batch.sequences.map(\.blockTable)
        let maxContext = work.map(\.pos).max().map { $0 + 1 } ?? 1
        let (kvHeads, headDim, blockSize, scale) = (self.kvHeads, self.headDim, cache.blockSize, self.scale)
        let (keys, values, dtype) = (cache.keys[layer], cache.values[layer], cache.dtype)
        let (blockStride, headStride) = (cache.blockBytes, cache.segmentOffset(block: 0, head: 1, row: 0))
        // One task per (token, KV head): its `group` query heads read each key/value row once.
        pool.parallelRanges(work.count * kvHeads, minChunk: 2, chunksPerThread: 8) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: maxContext * group) { scores in
                for item in range {
                    let (w, g) = (work[item / kvHeads], item % kvHeads)
                    let start = window.map { max(0, w.pos + 1 - $0) } ?? 0
                    tables[w.seq].withUnsafeBufferPointer { table in
                        Ops.attentionGroup(dtype: dtype, q: q.row(w.row, width: qWidth) + g * group * headDim, qStride: headDim,
                                           group: group, headDim: headDim, keys: keys + g * headStride, values: values + g * headStride,
                                           blockStride: blockStride, blockTable: table.baseAddress!, blockSize: blockSize, range: start ..< w.pos + 1,
                                           scale: scale, scores: scores.baseAddress!, out: out.row(w.row, width: qWidth) + g * group * headDim,
                                           outStride: headDim)
                    }
                }
            }
        }
    }

    static let blasMinTokens = 16
    static let blasRowChunk = 64

    /// Attention for one sequence's run of new tokens as matrix products: per KV head, its
    /// keys and values for positions 0 ..< end are gathered contiguously, then for each query
    /// head and chunk of rows, scores = Q Kᵀ (BLAS), causal (and window) mask, softmax, and
    /// out = P V (BLAS).
    func runBLAS(_ s: ForwardBatch.Segment, cache: PagedKVCache, layer: Int, pool: ComputePool,
                 q: FloatBuffer, out: FloatBuffer, window: Int?) {
        let qWidth = heads * headDim, group = heads / kvHeads
        let n = s.tokenRange.count, end = s.startPosition + n
        let keys = FloatBuffer(count: kvHeads * end * headDim)    // (kvHeads, end, headDim)
        let values = FloatBuffer(count: kvHeads * end * headDim)  // (kvHeads, end, headDim)
        let kc = cache.keys[layer], vc = cache.values[layer], dtype = cache.dtype
        for p in 0 ..< end {  // the cache's rows as floats, whatever its dtype
            let block = Int(s.blockTable[p / cache.blockSize])
            for g in 0 ..< kvHeads {
                let at = cache.segmentOffset(block: block, head: g, row: p % cache.blockSize)
                dtype.load(kc + at, offset: 0, count: headDim, into: keys.pointer + (g * end + p) * headDim)
                dtype.load(vc + at, offset: 0, count: headDim, into: values.pointer + (g * end + p) * headDim)
            }
        }
        let chunks = (n + Self.blasRowChunk - 1) / Self.blasRowChunk
        let (heads, headDim, scale, start) = (self.heads, self.headDim, self.scale, s.startPosition)
        let firstRow = s.tokenRange.lowerBound
        pool.run(tasks: heads * chunks) { t in
            let h = t % heads, c = t / heads, g = h / group
            let r0 = c * Self.blasRowChunk, r1 = min(n, r0 + Self.blasRowChunk), rows = r1 - r0
            let ctx = start + r1  // the last row of the chunk sees positions 0 ..< ctx
            let scores = FloatBuffer(count: rows * ctx)  // (rows, ctx)
            BLAS.gemmABt(m: rows, n: ctx, k: headDim, a: q.row(firstRow + r0, width: qWidth) + h * headDim, lda: qWidth,
                         b: keys.pointer + g * end * headDim, ldb: headDim, c: scores.pointer, ldc: ctx)
            for i in 0 ..< rows {
                let pos = start + r0 + i, row = scores.row(i, width: ctx)
                let lo = window.map { max(0, pos + 1 - $0) } ?? 0
                for j in 0 ..< lo { row[j] = 0 }
                let live = row + lo
                for j in 0 ..< pos + 1 - lo { live[j] *= scale }
                Ops.softmax(live, n: pos + 1 - lo)
                for j in pos + 1 ..< ctx { row[j] = 0 }
            }
            BLAS.gemm(m: rows, n: headDim, k: ctx, a: scores.pointer, lda: ctx, b: values.pointer + g * end * headDim, ldb: headDim,
                      c: out.row(firstRow + r0, width: qWidth) + h * headDim, ldc: qWidth)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
