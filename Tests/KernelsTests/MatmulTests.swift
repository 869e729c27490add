import CKernels
import Kernels
import XCTest

/// Both matmul paths against a naive loop over the dequantized weight.
final class MatmulTests: XCTestCase {
    func testGEMVAndGEMMAgreeWithNaiveLoop() {
        let pool = ComputePool(threadCount: 2)
        var rng = SystemRandomNumberGenerator()
        let (rows, cols) = (70, 512)
        for layout in QuantDotTests.layouts {
            let data = (0 ..< rows).flatMap { _ in
                QuantDotTests.randomRow(bytes: layout.bytes, elems: layout.elems, f16At: layout.f16At, k: cols, rng: &rng)
            }
            data.withUnsafeBytes { raw in
                let w = WeightMatrix(type: layout.type, rows: rows, cols: cols, rowBytes: cols / layout.elems * layout.bytes,
                                     data: raw.baseAddress!)
                var wf = [Float](repeating: 0, count: rows * cols)
                w.dequantizeRows(0, rows, into: &wf)
                for m in [1, 3, 17] {
                    let x = (0 ..< m * cols).map { _ in Float.random(in: -1 ... 1, using: &rng) }
                    // Both paths multiply by the activations as int8 blocks represent them.
                    var xr = x
                    for i in 0 ..< m { tern_round_act(tern_act_format(layout.type), Array(x[i * cols ..< (i + 1) * cols]), &xr[i * cols], Int32(cols)) }
                    var expected = [Double](repeating: 0, count: m * rows)
                    for i in 0 ..< m { for r in 0 ..< rows { for c in 0 ..< cols {
                        expected[i * rows + r] += Double(xr[i * cols + c]) * Double(wf[r * cols + c])
                    } } }
                    for path in [MatmulPath.gemv, .gemm] {
                        let mm = Matmul(pool: pool, path: path)
                        var y = [Float](repeating: .nan, count: m * rows)
                        mm.apply(w, x: x, m: m, y: &y)
                        let norm = expected.map(abs).max()! + 1e-3
                        for (a, b) in zip(y, expected) {
                            // GEMV's Q4_1/Q5_1 offset term uses a half-precision activation sum.
                            XCTAssertEqual(Double(a), b, accuracy: (path == .gemv ? 2e-3 : 1e-4) * norm, "type \(layout.type) m \(m) \(path)")
                        }
                    }
                }
            }
        }
    }

    /// Once `prepare` has packed a matrix and handed its original to `releaseOriginal`, nothing
    /// reads the original again: both paths and `dequantizeRows` give the same bits with the
    /// original's bytes overwritten (a released page would read back from the file; garbage
    /// here makes any read visible).
    func testPackedMatricesNeverReadTheirOriginals() throws {
        try XCTSkipUnless(tern_packs(Int32(TERN_Q8_0)) != 0, "no AVX-512 VNNI on this CPU: nothing is packed")
        let pool = ComputePool(threadCount: 2)
        var rng = SystemRandomNumberGenerator()
        let (rows, cols, m) = (40, 512, 6)
        for layout in QuantDotTests.layouts where tern_packs(layout.type) != 0 {
            var data = (0 ..< rows).flatMap { _ in
                QuantDotTests.randomRow(bytes: layout.bytes, elems: layout.elems, f16At: layout.f16At, k: cols, rng: &rng)
            }
            let x = (0 ..< m * cols).map { _ in Float.random(in: -1 ... 1, using: &rng) }
            let rowBytes = cols / layout.elems * layout.bytes, original = data
            data.withUnsafeMutableBytes { raw in
                let w = WeightMatrix(type: layout.type, rows: rows, cols: cols, rowBytes: rowBytes, data: raw.baseAddress!)
                var before: [[Float]] = []
                for path in [MatmulPath.gemv, .gemm] {
                    var y = [Float](repeating: 0, count: m * rows)
                    Matmul(pool: pool, path: path).apply(w, x: x, m: m, y: &y)
                    before.append(y)
                }
                var rowsBefore = [Float](repeating: 0, count: 3 * cols)
                w.dequantizeRows(7, 10, into: &rowsBefore)
                var released = 0
                for (i, path) in [MatmulPath.gemv, .gemm].enumerated() {
                    let mm = Matmul(pool: pool, path: path)
                    mm.releaseOriginal = { _ in released += 1 }
                    mm.prepare([w])
                    raw.copyBytes(from: [UInt8](repeating: 0xFF, count: raw.count))  // NaN scales everywhere
                    var y = [Float](repeating: 0, count: m * rows), r = [Float](repeating: 0, count: 3 * cols)
                    mm.apply(w, x: x, m: m, y: &y)
                    mm.dequantizeRows(w, 7, 10, into: &r)
                    XCTAssertEqual(y, before[i], "type \(layout.type) \(path)")
                    XCTAssertEqual(r, rowsBefore, "type \(layout.type) rows")
                    raw.copyBytes(from: original)
                }
                XCTAssertEqual(released, 2)
            }
        }
    }

    /// The two paths compute the same products (int8-rounded activations, half-precision
    /// block sums for Q4_1/Q5_1), so they agree far more closely than either does with fp32.
    func testPathsAgreeWithEachOther() {
        let pool = ComputePool(threadCount: 2)
        var rng = SystemRandomNumberGenerator()
        let (rows, cols, m) = (64, 512, 5)
        for layout in QuantDotTests.layouts {
            let data = (0 ..< rows).flatMap { _ in
                QuantDotTests.randomRow(bytes: layout.bytes, elems: layout.elems, f16At: layout.f16At, k: cols, rng: &rng)
            }
            data.withUnsafeBytes { raw in
                let w = WeightMatrix(type: layout.type, rows: rows, cols: cols, rowBytes: cols / layout.elems * layout.bytes,
                                     data: raw.baseAddress!)
                let x = (0 ..< m * cols).map { _ in Float.random(in: -1 ... 1, using: &rng) }
                var a = [Float](repeating: 0, count: m * rows), b = a
                Matmul(pool: pool, path: .gemv).apply(w, x: x, m: m, y: &a)
                Matmul(pool: pool, path: .gemm).apply(w, x: x, m: m, y: &b)
                let norm = a.map(abs).max()! + 1e-6
                for (p, q) in zip(a, b) { XCTAssertEqual(p, q, accuracy: 2e-5 * norm, "type \(layout.type)") }
            }
        }
    }

    /// Batch invariance of the dispatch: for random segment lengths in random orders (short
    /// and long interleaved), each segment's rows are bit-identical to the segment multiplied
    /// alone, through one matrix and through several at once — with the packed AVX-512
    /// kernels where the CPU has them (run the suite with TERN_NO_AVX512=1 for the AVX2
    /// ones) and with the portable kernels.
    func testEverySegmentGetsItsResultAloneInAnyOrder() {
        let pool = ComputePool(threadCount: 2)
        var rng = SystemRandomNumberGenerator()
        let (rows, cols) = (96, 256)
        defer { Ops.setSIMD(true) }
        for simd in [true, false] {
            Ops.setSIMD(simd)
            for layout in QuantDotTests.layouts {
                let data = (0 ..< 2 * rows).flatMap { _ in
                    QuantDotTests.randomRow(bytes: layout.bytes, elems: layout.elems, f16At: layout.f16At, k: cols, rng: &rng)
                }
                data.withUnsafeBytes { raw in
                    let rowBytes = cols / layout.elems * layout.bytes
                    let w = WeightMatrix(type: layout.type, rows: rows, cols: cols, rowBytes: rowBytes, data: raw.baseAddress!)
                    let w2 = WeightMatrix(type: layout.type, rows: rows, cols: cols, rowBytes: rowBytes,
                                          data: raw.baseAddress! + rows * rowBytes)
                    for _ in 0 ..< 3 {
                        checkSegments(w, w2, pool: pool, rng: &rng, "type \(layout.type) simd \(simd)")
                    }
                }
            }
        }
    }

    /// One random batch of segments through `w` alone and through `w` and `w2` together.
    private func checkSegments(_ w: WeightMatrix, _ w2: WeightMatrix, pool: ComputePool, rng: inout SystemRandomNumberGenerator,
                               _ what: String) {
        let lengths = (0 ..< Int.random(in: 2 ... 7, using: &rng)).map { _ in [1, 1, 2, 3, 5, 9, 16, 20, 33][Int.random(in: 0 ..< 9, using: &rng)] }
        var segments: [Range<Int>] = [], start = 0
        for n in lengths { segments.append(start ..< start + n); start += n }
        segments.shuffle(using: &rng)  // the plan's order, not the rows'
        let m = start, rows = w.rows, cols = w.cols
        let x = (0 ..< m * cols).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        let mm = Matmul(pool: pool, path: .auto, gemmMinRows: 16)
        let plan = Matmul.RowPlan(segments: segments)
        var one = [Float](repeating: .nan, count: m * rows), a = one, b = one
        mm.apply(w, x: x, m: m, y: &one, plan: plan)
        a.withUnsafeMutableBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { pb in mm.apply([w, w2], x: x, m: m, ys: [pa.baseAddress!, pb.baseAddress!], plan: plan) }
        }
        // Window by window (as the feed-forward computes its rows), every row as in one pass.
        let width = Int.random(in: 1 ... m, using: &rng)
        var windowed = [Float](repeating: .nan, count: m * rows)
        for r in mm.rowWindows(m, plan: plan, maxRows: width) {
            x.withUnsafeBufferPointer { px in
                windowed.withUnsafeMutableBufferPointer { py in
                    mm.apply(w, x: px.baseAddress! + r.lowerBound * cols, m: r.count, y: py.baseAddress! + r.lowerBound * rows,
                             plan: plan.window(r))
                }
            }
        }
        XCTAssertEqual(windowed, one, "\(what) in windows of \(width) rows, segments \(segments)")
        for s in segments {
            var alone = [Float](repeating: 0, count: s.count * rows), alone2 = alone
            x.withUnsafeBufferPointer {
                mm.apply(w, x: $0.baseAddress! + s.lowerBound * cols, m: s.count, y: &alone)
                mm.apply(w2, x: $0.baseAddress! + s.lowerBound * cols, m: s.count, y: &alone2)
            }
            let r = s.lowerBound * rows ..< s.upperBound * rows
            XCTAssertEqual(Array(one[r]), alone, "\(what) segment \(s) of \(segments)")
            XCTAssertEqual(Array(a[r]), alone, "\(what) segment \(s) of \(segments), with another matrix")
            XCTAssertEqual(Array(b[r]), alone2, "\(what) segment \(s) of \(segments), the other matrix")
        }
    }

    func testF32WeightsTakeBothPaths() {
        let pool = ComputePool(threadCount: 2)
        let (rows, cols) = (33, 64)
        let wf = (0 ..< rows * cols).map { Float(($0 * 7919) % 13) / 13 - 0.5 }
        let x = (0 ..< 5 * cols).map { Float(($0 * 31) % 11) / 11 - 0.5 }
        wf.withUnsafeBytes { raw in
            let w = WeightMatrix(type: Int32(TERN_F32), rows: rows, cols: cols, rowBytes: cols * 4, data: raw.baseAddress!)
            var a = [Float](repeating: 0, count: 5 * rows), b = a
            Matmul(pool: pool, path: .gemv).apply(w, x: x, m: 5, y: &a)
            Matmul(pool: pool, path: .gemm).apply(w, x: x, m: 5, y: &b)
            for i in 0 ..< 5 { for r in 0 ..< rows {
                let e = (0 ..< cols).reduce(Float(0)) { $0 + x[i * cols + $1] * wf[r * cols + $1] }
                XCTAssertEqual(a[i * rows + r], e, accuracy: 1e-4)
                XCTAssertEqual(b[i * rows + r], e, accuracy: 1e-4)
            } }
        }
    }

    /// Weights larger than one dequantization panel, with row counts that do not divide evenly.
    func testGEMMPanelsCoverLargeOddShapes() {
        let pool = ComputePool(threadCount: 2)
        var rng = SystemRandomNumberGenerator()
        for (rows, cols) in [(24577, 64), (1001, 576), (7, 300_000 / 32 * 32)] {
            let layout = QuantDotTests.layouts[4]  // Q8_0
            let data = (0 ..< rows).flatMap { _ in QuantDotTests.randomRow(bytes: layout.bytes, elems: 32, f16At: [0], k: cols, rng: &rng) }
            data.withUnsafeBytes { raw in
                let w = WeightMatrix(type: layout.type, rows: rows, cols: cols, rowBytes: cols / 32 * 34, data: raw.baseAddress!)
                let x = (0 ..< 2 * cols).map { _ in Float.random(in: -1 ... 1, using: &rng) }
                var y = [Float](repeating: .nan, count: 2 * rows + 1)
                y[2 * rows] = 12345  // guard element just past the output
                Matmul(pool: pool, path: .gemm).apply(w, x: x, m: 2, y: &y)
                XCTAssertEqual(y[2 * rows], 12345)
                var row = [Float](repeating: 0, count: cols)
                var xr = x  // as int8 blocks represent it
                for i in 0 ..< 2 { tern_round_act(Int32(TERN_ACT_Q8_32), Array(x[i * cols ..< (i + 1) * cols]), &xr[i * cols], Int32(cols)) }
                for r in [0, rows / 2, rows - 1] {
                    w.dequantizeRow(r, into: &row)
                    for i in 0 ..< 2 {
                        let e = (0 ..< cols).reduce(Double(0)) { $0 + Double(row[$1]) * Double(xr[i * cols + $1]) }
                        XCTAssertEqual(Double(y[i * rows + r]), e, accuracy: 1e-3 * max(1, abs(e)))
                    }
                }
                XCTAssertFalse(y[0 ..< 2 * rows].contains { $0.isNaN })
            }
        }
    }

    func testPoolRunsEveryTaskOnce() {
        let pool = ComputePool(threadCount: 2)
        for n in [1, 2, 3, 64, 1000] {
            let hits = UnsafeMutablePointer<Int32>.allocate(capacity: n)
            hits.initialize(repeating: 0, count: n)
            pool.run(tasks: n) { t in hits[t] += 1 }
            XCTAssertEqual((0 ..< n).map { hits[$0] }, [Int32](repeating: 1, count: n))
            hits.deallocate()
        }
    }
}
