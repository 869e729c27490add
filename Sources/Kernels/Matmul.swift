import CKernels
import Dispatch

/// Which matmul path to use. `.auto` takes GEMM for sequences of at least `gemmMinRows` rows
/// (by default never: see `ModelLoader.gemmMinRows`); the forced paths are for experiments
/// and tests.
public enum MatmulPath: String, Sendable, CaseIterable {
    case auto, gemv, gemm
}

/// Y (m, rows) = X (m, cols) · Wᵀ for quantized or float W, by one of two paths:
/// - GEMV: activations quantized to int8 blocks (float for F32/F16/BF16 weights, in the
///   register tiles of float_tiles.c), integer dot products that read the weight
///   blocks directly (each weight row read once for all m activation rows);
/// - GEMM: the weight dequantized in row panels into scratch and multiplied with
///   `cblas_sgemm`, so dequantization is paid once per panel for all m rows.
public final class Matmul: @unchecked Sendable {
    public let pool: ComputePool
    public var path: MatmulPath
    /// With `.auto`, sequences of at least this many rows take the GEMM path (Int.max: never).
    public var gemmMinRows: Int
    /// Largest dequantized panel, in floats, per thread.
    let panelFloats = 1 << 18
    private let actScratch = ByteScratch()
    private let panels: [FloatBuffer]  // per thread: (panelRows, cols)
    private let roundedX = FloatBuffer(count: 1 << 16)  // (m, cols) activations as int8 blocks represent them
    private let deltas = FloatBuffer(count: 1 << 12)     // (m, cols / 32) offset corrections
    private let offsets: [FloatBuffer]                   // per thread: (panelRows, cols / 32) block minimums
    private let unpacked: [ByteScratch]                  // per thread: (panelRows, rowBytes) a packed panel unpacked
    private let gatheredX = FloatBuffer(count: 1 << 12)  // (GEMV rows, cols) short segments' rows side by side
    private let gatheredY = FloatBuffer(count: 1 << 12)  // (GEMV rows, Σ rows of the matrices) their results
    /// The packed copies the AVX-512 VNNI and AVX2 kernels read, made by `prepare`.
    private let packedCopies = PackedWeights()
    /// Called with each matrix `prepare` has packed: its original bytes are no longer read (the
    /// loader releases their pages, so a packed model is resident once, not twice).
    public var releaseOriginal: ((WeightMatrix) -> Void)?

    public init(pool: ComputePool, path: MatmulPath = .auto, gemmMinRows: Int = 32) {
        self.pool = pool
        self.path = path
        self.gemmMinRows = gemmMinRows
        panels = (0 ..< pool.threadCount).map { _ in FloatBuffer(count: 1 << 18) }
        offsets = (0 ..< pool.threadCount).map { _ in FloatBuffer(count: 1 << 14) }
        unpacked = (0 ..< pool.threadCount).map { _ in ByteScratch() }
    }

    /// Makes the packed copies of `weights` now (at load) rather than in the first request
    /// that multiplies by them (about 0.9 s for Gemma 3 270M on 2 cores). Not concurrently
    /// with `apply`.
    public func prepare(_ weights: [WeightMatrix]) {
        packedCopies.prepare(weights, pool: pool, release: releaseOriginal)
    }

    /// Rows [r0, r1) of `w` as floats, ((r1 - r0), cols): from the packed copy when there is
    /// one (unpacked to the file's bytes first, so the values are the same either way).
    public func dequantizeRows(_ w: WeightMatrix, _ r0: Int, _ r1: Int, into out: UnsafeMutablePointer<Float>) {
        guard let packed = packedCopies.existing(w), r1 > r0 else { return w.dequantizeRows(r0, r1, into: out) }
        withUnsafeTemporaryAllocation(byteCount: (r1 - r0) * w.rowBytes, alignment: 64) { bytes in
            guard let rows = bytes.baseAddress else { return }  // (r1 - r0, rowBytes) the file's blocks
            tern_unpack_rows(w.type, packed, Int32(w.cols), Int32(r0), Int32(r1), rows, w.rowBytes)
            _ = tern_dequantize(w.type, rows, out, Int64((r1 - r0) * w.cols))
        }
    }

    /// The split of m rows: by `plan` on the auto path (or all rows one way by m without a
    /// plan); otherwise all rows the forced way.
    func resolve(_ m: Int, _ plan: RowPlan?) -> RowPlan.Split {
        switch path {
        case .gemv: return RowPlan.Split(gemvRows: [0 ..< m], gemmGroups: [])
        case .gemm: return RowPlan.Split(gemvRows: [], gemmGroups: [0 ..< m])
        case .auto:
            return (plan ?? RowPlan(segments: [0 ..< m])).split(threshold: gemmMinRows)
        }
    }

    /// y (m, w.rows), rows `ldy` floats apart = x (m, w.cols) · wᵀ, rows split by `plan`.
    /// Batch invariance: each of the plan's segments gets the same bits as when it is
    /// multiplied alone, whatever the other segments and their order (see `RowPlan`).
    public func apply(_ w: WeightMatrix, x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>, ldy: Int? = nil,
                      plan: RowPlan? = nil) {
        guard m > 0 else { return }
        let ld = ldy ?? w.rows
        let p = resolve(m, plan)
        if !p.gemvRows.isEmpty { gemv([w], x: x, rows: p.gemvRows, ys: [y], ldy: ld) }
        if !p.gemmGroups.isEmpty { gemm(w, x: x, groups: p.gemmGroups, y: y, ldy: ld) }
    }

    /// Several matmuls over the same input x (m, cols) in one pass over the pool, e.g. the
    /// q, k and v projections: ys[i] (m, ws[i].rows) = x · ws[i]ᵀ. Saves a dispatch and an
    /// activation quantization per extra matrix on the GEMV path.
    public func apply(_ ws: [WeightMatrix], x: UnsafePointer<Float>, m: Int, ys: [UnsafeMutablePointer<Float>], plan: RowPlan? = nil) {
        guard m > 0 else { return }
        let p = resolve(m, plan)
        if ws.contains(where: { $0.cols != ws[0].cols }) {
            for (w, y) in zip(ws, ys) { apply(w, x: x, m: m, y: y, plan: plan) }
            return
        }
        if !p.gemvRows.isEmpty { gemv(ws, x: x, rows: p.gemvRows, ys: ys) }
        if !p.gemmGroups.isEmpty { for (w, y) in zip(ws, ys) { gemm(w, x: x, groups: p.gemmGroups, y: y, ldy: w.rows) } }
    }

    /// GEMV over the rows of `rows` (ranges of x's rows): in place when they are one range,
    /// else gathered into scratch, multiplied together and scattered back (GEMV computes each
    /// row on its own, so this is exact).
    func gemv(_ ws: [WeightMatrix], x: UnsafePointer<Float>, rows: [Range<Int>], ys: [UnsafeMutablePointer<Float>], ldy: Int? = nil) {
        let cols = ws[0].cols
        if rows.count == 1, let r = rows.first {
            let at = zip(ws, ys).map { w, y in y + r.lowerBound * (ldy ?? w.rows) }
            gemv(ws, x: x + r.lowerBound * cols, m: r.count, ys: at, ldy: ldy)
            return
        }
        let m = rows.reduce(0) { $0 + $1.count }, width = ws.reduce(0) { $0 + $1.rows }
        if gatheredX.count < m * cols { gatheredX.resize(m * cols) }
        if gatheredY.count < m * width { gatheredY.resize(m * width) }
        var at = 0
        for r in rows {
            (gatheredX.pointer + at * cols).update(from: x + r.lowerBound * cols, count: r.count * cols)
            at += r.count
        }
        // (m, ws[i].rows) results of matrix i, one block after another.
        var offset = 0
        let out = ws.map { w in defer { offset += m * w.rows }; return gatheredY.pointer + offset }
        gemv(ws, x: gatheredX.pointer, m: m, ys: out)
        for (i, w) in ws.enumerated() {
            let ld = ldy ?? w.rows
            at = 0
            for r in rows {
                for j in 0 ..< r.count { (ys[i] + (r.lowerBound + j) * ld).update(from: out[i] + (at + j) * w.rows, count: w.rows) }
                at += r.count
            }
        }
    }

    func gemv(_ ws: [WeightMatrix], x: UnsafePointer<Float>, m: Int, ys: [UnsafeMutablePointer<Float>], ldy: Int? = nil) {
        let cols = ws[0].cols
        // Activations quantized once per format the matrices need: (m, actRow) bytes each.
        var formats: [Int32: (offset: Int, rowBytes: Int)] = [:]
        var total = 0
        for w in ws {
            let fmt = tern_act_format(w.type)
            if formats[fmt] == nil {
                let rowBytes = tern_act_row_bytes(fmt, Int32(cols))
                formats[fmt] = (total, rowBytes)
                total += (rowBytes * m + 63) / 64 * 64
            }
        }
        let base = actScratch.reserve(total)
        for (fmt, f) in formats {
            pool.parallelRanges(m, minChunk: 4, chunksPerThread: 1) { rows in
                for r in rows { tern_quantize_act(fmt, x + r * cols, base + f.offset + r * f.rowBytes, Int32(cols)) }
            }
        }
        // Packed copies (Q4_0/Q4_1/Q5_0/Q8_0/Q4_K/Q5_K/Q6_K/IQ4_XS wherever AVX2 is), packed now if not prepared.
        let packed = ws.map { w in tern_packs(w.type) != 0 ? packedCopies.bytes(of: w, pool: pool) : nil }
        // Work items: (matrix, row range), about 4 per thread in all, in whole groups of 16 rows.
        let totalRows = ws.reduce(0) { $0 + $1.rows }
        let chunk = (max(16, totalRows / (pool.threadCount * 4)) + 15) / 16 * 16
        var items: [(w: Int, r0: Int, r1: Int)] = []
        for (i, w) in ws.enumerated() {
            for r0 in stride(from: 0, to: w.rows, by: chunk) { items.append((i, r0, min(w.rows, r0 + chunk))) }
        }
        let act = UnsafeRawPointer(base)
        pool.run(tasks: items.count) { t in
            let item = items[t], w = ws[item.w]
            let fmt = tern_act_format(w.type)
            guard let f = formats[fmt] else { return }
            if let p = packed[item.w] {
                tern_matmul_packed(w.type, p, Int32(cols), Int32(item.r0), Int32(item.r1), act + f.offset, f.rowBytes, Int32(m),
                                   ys[item.w], Int32(ldy ?? w.rows))
                return
            }
            tern_matmul_rows(w.type, w.data, w.rowBytes, Int32(cols), Int32(item.r0), Int32(item.r1),
                             act + f.offset, f.rowBytes, Int32(m), ys[item.w], Int32(ldy ?? w.rows))
        }
    }

    /// x (m, cols) as the GEMV path quantizes it for `w`'s type (x itself for F32 activations),
    /// so both paths compute the same products (and agree with llama.cpp's integer kernels).
    private func roundedActivations(_ x: UnsafePointer<Float>, m: Int, for w: WeightMatrix) -> UnsafePointer<Float> {
        let fmt = tern_act_format(w.type)
        guard fmt != Int32(TERN_ACT_F32) else { return x }
        if roundedX.count < m * w.cols { roundedX.resize(m * w.cols) }
        let out = roundedX.pointer, cols = w.cols
        pool.parallelRanges(m, minChunk: 8, chunksPerThread: 2) { rows in
            for r in rows { tern_round_act(fmt, x + r * cols, out + r * cols, Int32(cols)) }
        }
        return UnsafePointer(out)
    }

    /// GEMM over the rows of `groups` (ranges of x's rows), one sgemm call per group and
    /// panel: a panel is dequantized once and shared by all groups.
    func gemm(_ w: WeightMatrix, x xAll: UnsafePointer<Float>, groups: [Range<Int>], y yAll: UnsafeMutablePointer<Float>, ldy: Int) {
        // Rows from the lowest group's start through the highest group's end are prepared.
        guard let first = groups.map(\.lowerBound).min(), let last = groups.map(\.upperBound).max(), last > first else { return }
        let x = xAll + first * w.cols, y = yAll + first * ldy, m = last - first
        let local = groups.map { ($0.lowerBound - first) ..< ($0.upperBound - first) }
        let threads = pool.threadCount
        // Panels of at most panelFloats (one row at least), balanced so that every thread
        // gets the same number of panels of (nearly) the same size.
        let maxPanelRows = max(1, panelFloats / w.cols)
        let perThreadRows = (w.rows + threads - 1) / threads
        let panelsPerThread = (perThreadRows + maxPanelRows - 1) / maxPanelRows
        let panelRows = (perThreadRows + panelsPerThread - 1) / panelsPerThread
        let nPanels = (w.rows + panelRows - 1) / panelRows
        if w.cols > panelFloats { for b in panels where b.count < panelRows * w.cols { b.resize(panelRows * w.cols) } }
        let isF32 = w.type == Int32(TERN_F32)
        let a = roundedActivations(x, m: m, for: w)
        // Q4_1/Q5_1: the per-block offset correction of the integer kernels, (m, cols / 32).
        let needsFix = w.type == Int32(TERN_Q4_1) || w.type == Int32(TERN_Q5_1)
        if needsFix {
            let actRow = tern_act_row_bytes(Int32(TERN_ACT_Q8_32), Int32(w.cols))  // deltas read plain Q8_32 blocks
            let act = actScratch.reserve(actRow * m)
            if deltas.count < m * (w.cols / 32) { deltas.resize(m * (w.cols / 32)) }
            let d = deltas.pointer, cols = w.cols
            pool.parallelRanges(m, minChunk: 8, chunksPerThread: 2) { rows in
                for r in rows {
                    tern_quantize_act(Int32(TERN_ACT_Q8_32), x + r * cols, act + r * actRow, Int32(cols))
                    tern_act_offset_deltas(act + r * actRow, Int32(cols), d + r * (cols / 32))
                }
            }
        }
        let delta = UnsafePointer(deltas.pointer)
        let packed = packedCopies.existing(w)
        pool.run(tasks: threads) { [panels, offsets, unpacked] t in
            var p = t
            while p < nPanels {
                let r0 = p * panelRows, r1 = min(w.rows, r0 + panelRows)
                // The panel's rows in the file's layout: in place, or unpacked from the packed copy
                // (whose original pages may be released).
                var bytes = w.data + r0 * w.rowBytes
                if let packed {
                    let rows = unpacked[t].reserve((r1 - r0) * w.rowBytes)
                    tern_unpack_rows(w.type, packed, Int32(w.cols), Int32(r0), Int32(r1), rows, w.rowBytes)
                    bytes = UnsafeRawPointer(rows)
                }
                let b: UnsafePointer<Float>
                if isF32 {
                    b = bytes.assumingMemoryBound(to: Float.self)
                } else {
                    _ = tern_dequantize(w.type, bytes, panels[t].pointer, Int64((r1 - r0) * w.cols))
                    b = UnsafePointer(panels[t].pointer)
                }
                for g in local {
                    BLAS.gemmABt(m: g.count, n: r1 - r0, k: w.cols, a: a + g.lowerBound * w.cols, lda: w.cols, b: b, ldb: w.cols,
                                 c: y + g.lowerBound * ldy + r0, ldc: ldy)
                }
                if needsFix {
                    // y[:, r0..<r1] += delta (m, nb) · offsets (r1 - r0, nb)ᵀ
                    let nb = w.cols / 32
                    if offsets[t].count < (r1 - r0) * nb { offsets[t].resize((r1 - r0) * nb) }
                    tern_extract_offsets(bytes, w.rowBytes, Int32(w.cols), 0, Int32(r1 - r0), offsets[t].pointer)
                    for g in local {
                        BLAS.gemmABt(m: g.count, n: r1 - r0, k: nb, a: delta + g.lowerBound * nb, lda: nb, b: offsets[t].pointer, ldb: nb,
                                     c: y + g.lowerBound * ldy + r0, ldc: ldy, beta: 1)
                    }
                }
                p += threads
            }
        }
    }
}
