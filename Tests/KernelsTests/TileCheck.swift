import CKernels
import Kernels
import XCTest

/// The check of the AVX2 register-tiled matmuls (KQuantTileTests, Block32TileTests): on random
/// rows and activations, every output of one call over weight rows [1, rows) equals the same
/// pair computed alone (a 1 × 1 tile) bit for bit, and the portable dot product within rounding.
struct TileCheck {
    /// tern_matmul_kquant_avx2 or tern_matmul_block32_avx2.
    typealias Matmul = (Int32, UnsafeRawPointer?, Int, Int32, Int32, Int32, UnsafeRawPointer?, Int, Int32, UnsafeMutablePointer<Float>?, Int32) -> Int32
    var matmul: Matmul
    /// The activation format the kernel takes, its block length and the block's byte layout
    /// (size, offset of the int8 values; the float scale is at offset 0).
    var fmt: Int32, actElems: Int, actBlockBytes: Int, actQsAt: Int

    func check(_ layout: (type: Int32, bytes: Int, elems: Int, f16At: [Int]), k: Int, rows: Int, nvec: Int,
               rng: inout SystemRandomNumberGenerator, file: StaticString = #filePath, line: UInt = #line) {
        let rowBytes = k / layout.elems * layout.bytes
        var w: [UInt8] = []  // (rows, rowBytes)
        for _ in 0 ..< rows { w += QuantDotTests.randomRow(bytes: layout.bytes, elems: layout.elems, f16At: layout.f16At, k: k, rng: &rng) }
        let act = PackedKernelTests.activations(fmt, k: k, nvec: nvec, zeroBlock: actElems, rng: &rng)  // (nvec, actBytes)
        let actBytes = tern_act_row_bytes(fmt, Int32(k))
        let (r0, r1) = (1, rows)  // from an odd start: the last tile has fewer weight rows
        var y = [Float](repeating: .nan, count: nvec * rows)  // (nvec, rows)
        w.withUnsafeBytes { wr in
            act.withUnsafeBytes { ar in
                XCTAssertEqual(matmul(layout.type, wr.baseAddress!, rowBytes, Int32(k), Int32(r0), Int32(r1), ar.baseAddress!, actBytes,
                                      Int32(nvec), &y, Int32(rows)), 1, file: file, line: line)
                for v in 0 ..< nvec {
                    XCTAssertTrue(y[v * rows].isNaN, "row 0 is outside the range", file: file, line: line)
                    for r in r0 ..< r1 {
                        let wp = wr.baseAddress! + r * rowBytes, xp = ar.baseAddress! + v * actBytes
                        var alone = Float.nan
                        _ = matmul(layout.type, wp, rowBytes, Int32(k), 0, 1, xp, actBytes, 1, &alone, 1)
                        XCTAssertEqual(y[v * rows + r], alone, "type \(layout.type) k \(k) row \(r) act \(v)", file: file, line: line)
                        if tern_packs(layout.type) == 0 {  // (else the one-row dot takes the packed kernels)
                            XCTAssertEqual(tern_vec_dot(layout.type, Int32(k), wp, xp), alone, "the one-row dot is the 1 × 1 tile",
                                           file: file, line: line)
                        }
                        Ops.setSIMD(false)
                        let portable = tern_vec_dot(layout.type, Int32(k), wp, xp)
                        Ops.setSIMD(true)
                        let scale = magnitude(wp, xp, k: k, type: layout.type)
                        XCTAssertLessThan(abs(alone - portable) / scale, 1e-5, "type \(layout.type) k \(k) row \(r) act \(v)",
                                          file: file, line: line)
                    }
                }
            }
        }
    }

    /// Σ |w·x| over the pair's elements, dequantized (the scale rounding errors are measured against).
    private func magnitude(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, k: Int, type: Int32) -> Float {
        var wf = [Float](repeating: 0, count: k)
        _ = tern_dequantize(type, w, &wf, Int64(k))
        var sum: Float = 1e-6
        for b in 0 ..< k / actElems {
            let d = x.loadUnaligned(fromByteOffset: b * actBlockBytes, as: Float.self)
            for j in 0 ..< actElems {
                sum += abs(wf[actElems * b + j] * d * Float(x.load(fromByteOffset: b * actBlockBytes + actQsAt + j, as: Int8.self)))
            }
        }
        return sum
    }
}
