import CKernels
import Dispatch

/// Which matmul path to use. `.auto` picks by the number of activation rows; the forced
/// paths exist so that tests can hold the arithmetic fixed while batching varies. `.gemv`
/// also keeps attention on its token-by-token kernel, making every row's arithmetic
/// independent of the batch and of prompt chunking.
public enum MatmulPath: String, Sendable, CaseIterable {
    case auto, gemv, gemm
}

/// Y (m, rows) = X (m, cols) · Wᵀ for quantized W, by one of two paths:
/// - GEMV: activations quantized to int8 blocks, integer dot products that read the weight
///   blocks directly (each weight row read once for all m activation rows);
/// - GEMM: the weight dequantized in row panels into scratch and multiplied with
///   `cblas_sgemm`, so dequantization is paid once per panel for all m rows.
public final class Matmul: @unchecked Sendable {
    public let pool: ComputePool
    public var path: MatmulPath
    /// With `.auto`, sequences of at least this many rows take the GEMM path…
    public var gemmMinRows: Int
    /// …unless their weight type has its own crossover here (GGML type → rows; Int.max: never).
    public var gemmMinRowsByType: [Int32: Int] = [:]

    public func gemmMinRows(for type: Int32) -> Int { gemmMinRowsByType[type] ?? gemmMinRows }
    /// Largest dequantized panel, in floats, per thread.
    let panelFloats = 1 << 18
    private let actScratch = ByteScratch()
    private let panels: [FloatBuffer]  // per thread: (panelRows, cols)
    private let roundedX = FloatBuffer(count: 1 << 16)  // (m, cols) activations as int8 blocks represent them
    private let deltas = FloatBuffer(count: 1 << 12)     // (m, cols / 32) offset corrections
    private let offsets: [FloatBuffer]                   // per thread: (panelRows, cols / 32) block minimums

    public init(pool: ComputePool, path: MatmulPath = .auto, gemmMinRows: Int = 32) {
        self.pool = pool
        self.path = path
        self.gemmMinRows = gemmMinRows
        panels = (0 ..< pool.threadCount).map { _ in FloatBuffer(count: 1 << 18) }
        offsets = (0 ..< pool.threadCount).map { _ in FloatBuffer(count: 1 << 14) }
    }

    /// Makes the packed copies of `weights` now (at load) rather than in the first request
    /// that multiplies by them (about 0.9 s for Gemma 3 270M on 2 cores).
    public func prepare(_ weights: [WeightMatrix]) {
        for w in weights where tern_packs(w.type) != 0 { _ = w.packed?.bytes(of: w, pool: pool) }
    }

    /// The crossover of each weight type among `weights` (see `calibrate`).
    public static func calibratePerType(pool: ComputePool, weights: [WeightMatrix]) -> [Int32: Int] {
        var out: [Int32: Int] = [:]
        for type in Set(weights.map(\.type)) {
            out[type] = calibrate(pool: pool, weights: weights.filter { $0.type == type }, limit: .max)
        }
        return out
    }

    /// Places the crossover by timing `weights` (e.g. one transformer block) through both
    /// paths at growing batch sizes: the smallest size where GEMM is faster, or `limit` when
    /// GEMV is faster at every size tried.
    public static func calibrate(pool: ComputePool, weights: [WeightMatrix],
                                 sizes: [Int] = [4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256],
                                 limit: Int = 256) -> Int {
        let cols = weights.map(\.cols).max() ?? 1, rows = weights.map(\.rows).max() ?? 1
        let m = sizes.max() ?? 1
        let x = FloatBuffer(count: m * cols)  // (m, cols)
        let y = FloatBuffer(count: m * rows)  // (m, rows)
        for i in 0 ..< x.count { x[i] = Float((i * 7919) % 1000) / 1000 - 0.5 }
        func time(_ path: MatmulPath, _ m: Int) -> UInt64 {
            let mm = Matmul(pool: pool, path: path)
            var best = UInt64.max
            for _ in 0 ..< 3 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                for w in weights { mm.apply(w, x: x.pointer, m: m, y: y.pointer) }
                best = min(best, DispatchTime.now().uptimeNanoseconds - t0)
            }
            return best
        }
        for m in sizes where time(.gemm, m) < time(.gemv, m) { return m }
        return limit
    }

    /// How the rows of one batch split between the paths, so that a sequence's results depend
    /// on its own rows only, never on what else is in the batch. Either the batch's sequences
    /// (row ranges, shortest first): those shorter than a matrix's crossover take GEMV, each
    /// longer one its own GEMM calls; or one fixed split for every matrix.
    public struct RowPlan: Sendable {
        public var segments: [Range<Int>]
        public var fixed: Split?

        public struct Split: Sendable {
            /// The first `gemvRows` rows take GEMV, each of `gemmGroups` its own GEMM calls.
            public var gemvRows: Int
            public var gemmGroups: [Range<Int>]
        }

        public init(segments: [Range<Int>]) {
            self.segments = segments
        }

        public init(gemvRows: Int, gemmGroups: [Range<Int>]) {
            segments = []
            fixed = Split(gemvRows: gemvRows, gemmGroups: gemmGroups)
        }

        func split(threshold: Int) -> Split {
            if let fixed { return fixed }
            var i = 0
            while i < segments.count, segments[i].count < threshold { i += 1 }
            return Split(gemvRows: segments.first.map { _ in i == 0 ? 0 : segments[i - 1].upperBound } ?? 0,
                         gemmGroups: Array(segments[i...]))
        }
    }

    /// The split of m rows for a matrix of `type`: by `plan` on the auto path (or all rows one
    /// way by m without a plan); otherwise all rows the forced way.
    func resolve(_ m: Int, _ plan: RowPlan?, type: Int32) -> RowPlan.Split {
        switch path {
        case .gemv: return RowPlan.Split(gemvRows: m, gemmGroups: [])
        case .gemm: return RowPlan.Split(gemvRows: 0, gemmGroups: [0 ..< m])
        case .auto:
            return (plan ?? RowPlan(segments: [0 ..< m])).split(threshold: gemmMinRows(for: type))
        }
    }

    /// y (m, w.rows), rows `ldy` floats apart = x (m, w.cols) · wᵀ, rows split by `plan`.
    public func apply(_ w: WeightMatrix, x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>, ldy: Int? = nil,
                      plan: RowPlan? = nil) {
        guard m > 0 else { return }
        let ld = ldy ?? w.rows
        let p = resolve(m, plan, type: w.type)
        if p.gemvRows > 0 { gemv(w, x: x, m: p.gemvRows, y: y, ldy: ld) }
        if !p.gemmGroups.isEmpty { gemm(w, x: x, groups: p.gemmGroups, y: y, ldy: ld) }
    }

    /// Several matmuls over the same input x (m, cols) in one pass over the pool, e.g. the
    /// q, k and v projections: ys[i] (m, ws[i].rows) = x · ws[i]ᵀ. Saves a dispatch and an
    /// activation quantization per extra matrix on the GEMV path.
    public func apply(_ ws: [WeightMatrix], x: UnsafePointer<Float>, m: Int, ys: [UnsafeMutablePointer<Float>], plan: RowPlan? = nil) {
        guard m > 0 else { return }
        let p = resolve(m, plan, type: ws[0].type)
        if ws.contains(where: { $0.cols != ws[0].cols || gemmMinRows(for: $0.type) != gemmMinRows(for: ws[0].type) }) {
            for (w, y) in zip(ws, ys) { apply(w, x: x, m: m, y: y, plan: plan) }
            return
        }
        if p.gemvRows > 0 { gemv(ws, x: x, m: p.gemvRows, ys: ys) }
        if !p.gemmGroups.isEmpty { for (w, y) in zip(ws, ys) { gemm(w, x: x, groups: p.gemmGroups, y: y, ldy: w.rows) } }
    }

    func gemv(_ w: WeightMatrix, x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>, ldy: Int) {
        gemv([w], x: x, m: m, ys: [y], ldy: ldy)
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
        // Packed copies (Q4_1/Q5_0/Q8_0/Q4_K/Q6_K on AVX-512 VNNI), packed now if this is their first use.
        let packed = ws.map { w in tern_packs(w.type) != 0 ? w.packed?.bytes(of: w, pool: pool) : nil }
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

    func gemm(_ w: WeightMatrix, x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>, ldy: Int) {
        gemm(w, x: x, groups: [0 ..< m], y: y, ldy: ldy)
    }

    /// GEMM over the rows of `groups` (ranges of x's rows), one sgemm call per group and
    /// panel: a panel is dequantized once and shared by all groups.
    func gemm(_ w: WeightMatrix, x xAll: UnsafePointer<Float>, groups: [Range<Int>], y yAll: UnsafeMutablePointer<Float>, ldy: Int) {
        // Rows from the first group's start through the last group's end are prepared.
        guard let first = groups.first?.lowerBound, let last = groups.last?.upperBound, last > first else { return }
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
        // The activations as the GEMV path quantizes them, so both paths compute the same
        // products (and agree with llama.cpp's integer kernels): (m, cols).
        let fmt = tern_act_format(w.type)
        var xr = x
        if fmt != Int32(TERN_ACT_F32) {
            if roundedX.count < m * w.cols { roundedX.resize(m * w.cols) }
            let out = roundedX.pointer, cols = w.cols
            pool.parallelRanges(m, minChunk: 8, chunksPerThread: 2) { rows in
                for r in rows { tern_round_act(fmt, x + r * cols, out + r * cols, Int32(cols)) }
            }
            xr = UnsafePointer(out)
        }
        let a = xr
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
        pool.run(tasks: threads) { [panels, offsets] t in
            var p = t
            while p < nPanels {
                let r0 = p * panelRows, r1 = min(w.rows, r0 + panelRows)
                let b: UnsafePointer<Float>
                if isF32 {
                    b = (w.data + r0 * w.rowBytes).assumingMemoryBound(to: Float.self)
                } else {
                    w.dequantizeRows(r0, r1, into: panels[t].pointer)
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
                    tern_extract_offsets(w.data, w.rowBytes, Int32(w.cols), Int32(r0), Int32(r1), offsets[t].pointer)
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
