import CKernels
import Kernels
import XCTest

/// The AVX2 register tiles of Q4_0, Q5_0 and Q8_0 (up to four weight rows × two activation
/// rows in decode, two × four in batches): for ragged shapes — weight row ranges that leave
/// 1, 2 and 3 rows over, activation counts that leave 1, 2 and 3 rows over, more activation
/// rows than one L2 pass holds — every output equals the same pair computed alone (a 1 × 1
/// tile, which is also the one-row dot) bit for bit, and the portable dot product within
/// rounding.
final class Block32TileTests: XCTestCase {
    override func setUp() { Ops.setup() }
    override func tearDown() { Ops.setSIMD(true) }

    func testTilesEqualOnePairAloneAndThePortableDot() throws {
        try XCTSkipUnless(tern_using_avx2() != 0, "no AVX2 on this CPU")
        var rng = SystemRandomNumberGenerator()
        let types = [TERN_Q4_0, TERN_Q5_0, TERN_Q8_0].map { Int32($0) }
        let layouts = QuantDotTests.layouts.filter { types.contains($0.type) }
        XCTAssertEqual(layouts.count, 3)
        for layout in layouts {
            // (k, weight rows, activation rows): decode (1-2 rows) with 4-row tiles and remainders
            // of 1-3 rows; batches with 4-row activation tiles and remainders; 13 110 rows of 40
            // bytes pass 512 KB (13 104 rows a pass).
            for (k, rows, nvec) in [(32, 9, 1), (64, 8, 2), (96, 7, 1), (2048, 6, 2), (96, 7, 11), (2048, 5, 6), (32, 4, 13110)] {
                check(layout, k: k, rows: rows, nvec: nvec, rng: &rng)
            }
        }
    }

    private func check(_ layout: (type: Int32, bytes: Int, elems: Int, f16At: [Int]), k: Int, rows: Int, nvec: Int,
                       rng: inout SystemRandomNumberGenerator) {
        let rowBytes = k / layout.elems * layout.bytes
        var w: [UInt8] = []  // (rows, rowBytes)
        for _ in 0 ..< rows { w += QuantDotTests.randomRow(bytes: layout.bytes, elems: layout.elems, f16At: layout.f16At, k: k, rng: &rng) }
        let fmt = Int32(TERN_ACT_Q8_32)  // what these types take on the AVX2 path
        let act = PackedKernelTests.activations(fmt, k: k, nvec: nvec, zeroBlock: 32, rng: &rng)  // (nvec, actBytes)
        let actBytes = tern_act_row_bytes(fmt, Int32(k))
        let (r0, r1) = (1, rows)  // from an odd start: the last tile has fewer weight rows
        var y = [Float](repeating: .nan, count: nvec * rows)  // (nvec, rows)
        XCTAssertEqual(tern_matmul_block32_avx2(layout.type, w, rowBytes, Int32(k), Int32(r0), Int32(r1), act, actBytes, Int32(nvec), &y,
                                                Int32(rows)), 1)
        w.withUnsafeBytes { wr in
            act.withUnsafeBytes { ar in
                for v in 0 ..< nvec {
                    XCTAssertTrue(y[v * rows].isNaN, "row 0 is outside the range")
                    for r in r0 ..< r1 {
                        let wp = wr.baseAddress! + r * rowBytes, xp = ar.baseAddress! + v * actBytes
                        var alone = Float.nan
                        _ = tern_matmul_block32_avx2(layout.type, wp, rowBytes, Int32(k), 0, 1, xp, actBytes, 1, &alone, 1)
                        XCTAssertEqual(y[v * rows + r], alone, "type \(layout.type) k \(k) row \(r) act \(v)")
                        if tern_using_avx512() == 0 {  // (else the one-row dot takes the packed kernels)
                            XCTAssertEqual(tern_vec_dot(layout.type, Int32(k), wp, xp), alone, "the one-row dot is the 1 × 1 tile")
                        }
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
        for b in 0 ..< k / 32 {  // act_q8_32 blocks: d, s, 32 bytes (40 bytes)
            let d = x.loadUnaligned(fromByteOffset: b * 40, as: Float.self)
            for j in 0 ..< 32 { sum += abs(wf[32 * b + j] * d * Float(x.load(fromByteOffset: b * 40 + 8 + j, as: Int8.self))) }
        }
        return sum
    }
}
