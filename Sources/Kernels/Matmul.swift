import CKernels

/// Which matmul path to use. `.auto` picks by the number of activation rows; the forced
/// paths exist so that tests can hold the arithmetic fixed while batching varies.
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
    /// With `.auto`, batches of at least this many rows take the GEMM path.
    public var gemmMinRows: Int
    /// Largest dequantized panel, in floats, per thread.
    let panelFloats = 1 << 18
    private let actScratch = ByteScratch()
    private let panels: [FloatBuffer]  // per thread: (panelRows, cols)

    public init(pool: ComputePool, path: MatmulPath = .auto, gemmMinRows: Int = 12) {
        self.pool = pool
        self.path = path
        self.gemmMinRows = gemmMinRows
        panels = (0 ..< pool.threadCount).map { _ in FloatBuffer(count: 1 << 18) }
    }

    public func usesGEMM(rows m: Int) -> Bool {
        switch path {
        case .gemv: return false
        case .gemm: return true
        case .auto: return m >= gemmMinRows
        }
    }

    /// y (m, w.rows), rows `ldy` floats apart = x (m, w.cols) · wᵀ.
    public func apply(_ w: WeightMatrix, x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>, ldy: Int? = nil) {
        guard m > 0 else { return }
        if usesGEMM(rows: m) {
            gemm(w, x: x, m: m, y: y, ldy: ldy ?? w.rows)
        } else {
            gemv(w, x: x, m: m, y: y, ldy: ldy ?? w.rows)
        }
    }

    func gemv(_ w: WeightMatrix, x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>, ldy: Int) {
        let fmt = tern_act_format(w.type)
        let actRow = tern_act_row_bytes(fmt, Int32(w.cols))
        // (m, actRow) bytes of quantized activations
        let act = UnsafeRawPointer(actScratch.reserve(actRow * m))
        let mutableAct = UnsafeMutableRawPointer(mutating: act)
        for r in 0 ..< m { tern_quantize_act(fmt, x + r * w.cols, mutableAct + r * actRow, Int32(w.cols)) }
        let type = w.type, data = w.data, rowBytes = w.rowBytes, cols = Int32(w.cols)
        pool.parallelRanges(w.rows, minChunk: 16, chunksPerThread: 4) { range in
            tern_matmul_rows(type, data, rowBytes, cols, Int32(range.lowerBound), Int32(range.upperBound),
                             act, actRow, Int32(m), y, Int32(ldy))
        }
    }

    func gemm(_ w: WeightMatrix, x: UnsafePointer<Float>, m: Int, y: UnsafeMutablePointer<Float>, ldy: Int) {
        let threads = pool.threadCount
        // Equal panels, a whole number per thread, each within the scratch size.
        let perThreadRows = (w.rows + threads - 1) / threads
        let panelsPerThread = max(1, (perThreadRows * w.cols + panelFloats - 1) / panelFloats)
        let panelRows = (perThreadRows + panelsPerThread - 1) / panelsPerThread
        let nPanels = (w.rows + panelRows - 1) / panelRows
        let isF32 = w.type == Int32(TERN_F32)
        pool.run(tasks: threads) { [panels] t in
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
                BLAS.gemmABt(m: m, n: r1 - r0, k: w.cols, a: x, lda: w.cols, b: b, ldb: w.cols, c: y + r0, ldc: ldy)
                p += threads
            }
        }
    }
}
