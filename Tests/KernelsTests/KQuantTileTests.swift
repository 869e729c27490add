import CKernels
import Kernels
import XCTest

/// The AVX2 register tiles of Q4_K and Q6_K (two weight rows × up to four activation rows):
/// for ragged shapes — odd weight row ranges, activation counts that leave 1, 2 and 3 rows
/// over, more activation rows than one L2 pass holds — every output equals the same pair
/// computed alone (a 1 × 1 tile) bit for bit, and the portable dot product within rounding.
final class KQuantTileTests: XCTestCase {
    override func setUp() { Ops.setup() }
    override func tearDown() { Ops.setSIMD(true) }

    func testTilesEqualOnePairAloneAndThePortableDot() throws {
        try XCTSkipUnless(tern_using_avx2() != 0, "no AVX2 on this CPU")
        var rng = SystemRandomNumberGenerator()
        let layouts = QuantDotTests.layouts.filter { $0.type == Int32(TERN_Q4_K) || $0.type == Int32(TERN_Q6_K) }
        XCTAssertEqual(layouts.count, 2)
        for layout in layouts {
            // (k, weight rows, activation rows): 1 801 rows of 292 bytes pass 512 KB (1 792 rows a pass).
            for (k, rows, nvec) in [(256, 7, 11), (768, 5, 6), (2304, 3, 9), (256, 3, 1801)] {
                check(layout, k: k, rows: rows, nvec: nvec, rng: &rng)
            }
        }
    }

    private func check(_ layout: (type: Int32, bytes: Int, elems: Int, f16At: [Int]), k: Int, rows: Int, nvec: Int,
                       rng: inout SystemRandomNumberGenerator) {
        let rowBytes = k / layout.elems * layout.bytes
        var w: [UInt8] = []  // (rows, rowBytes)
        for _ in 0 ..< rows { w += QuantDotTests.randomRow(bytes: layout.bytes, elems: layout.elems, f16At: layout.f16At, k: k, rng: &rng) }
        let act = PackedKernelTests.activations(Int32(TERN_ACT_Q8_256), k: k, nvec: nvec, zeroBlock: 256, rng: &rng)  // (nvec, actBytes)
        let actBytes = tern_act_row_bytes(Int32(TERN_ACT_Q8_256), Int32(k))
        let (r0, r1) = (1, rows)  // an odd count from an odd start: the last tile has one weight row
        var y = [Float](repeating: .nan, count: nvec * rows)  // (nvec, rows)
        XCTAssertEqual(tern_matmul_kquant_avx2(layout.type, w, rowBytes, Int32(k), Int32(r0), Int32(r1), act, actBytes, Int32(nvec), &y, Int32(rows)), 1)
        w.withUnsafeBytes { wr in
            act.withUnsafeBytes { ar in
                for v in 0 ..< nvec {
                    XCTAssertTrue(y[v * rows].isNaN, "row 0 is outside the range")
                    for r in r0 ..< r1 {
                        let wp = wr.baseAddress! + r * rowBytes, xp = ar.baseAddress! + v * actBytes
                        var alone = Float.nan
                        _ = tern_matmul_kquant_avx2(layout.type, wp, rowBytes, Int32(k), 0, 1, xp, actBytes, 1, &alone, 1)
                        XCTAssertEqual(y[v * rows + r], alone, "type \(layout.type) k \(k) row \(r) act \(v)")
                        Ops.setSIMD(false)
                        let portable = tern_vec_dot(layout.type, Int32(k), wp, xp)
                        Ops.setSIMD(true)
                        let scale = magnitude(wp, xp, k: k, type: layout.type)
                        XCTAssertLessThan(abs(alone - portable) / scale, 1e-5, "type \(layout.type) k \(k) row \(r) act \(v)")
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
        for b in 0 ..< k / 256 {
            let d = x.loadUnaligned(fromByteOffset: b * 292, as: Float.self)
            for j in 0 ..< 256 { sum += abs(wf[256 * b + j] * d * Float(x.load(fromByteOffset: b * 292 + 36 + j, as: Int8.self))) }
        }
        return sum
    }
}
