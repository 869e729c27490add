import CKernels
import Kernels
import XCTest

/// The register tiles of float weights (F32, F16, BF16; up to 6 weight × 4 activation rows on
/// AVX-512, 3 × 3 on AVX2, `float_tiles.c`): for ragged shapes — row counts that leave every
/// remainder, k with a tail shorter than a vector and shorter than one vector, more weight rows
/// than one L2 block holds — every output equals the same pair computed alone (a 1 × 1 tile,
/// which is also the one-row dot) bit for bit, and a double-precision dot within rounding.
final class FloatTileTests: XCTestCase {
    override func setUp() { Ops.setup() }
    override func tearDown() { Ops.setSIMD(true) }

    func testTilesEqualOnePairAloneAndTheExactDot() throws {
        try XCTSkipUnless(tern_using_avx2() != 0, "no AVX2 on this CPU")
        var rng = SystemRandomNumberGenerator()
        for type in [TERN_F32, TERN_F16, TERN_BF16].map({ Int32($0) }) {
            // (k, weight rows, activation rows): 40 and 72 leave tails of 8 on AVX-512; 7 is
            // shorter than a vector; 2048-element F32 rows are 8 KB, so 70 rows pass a 256 KB block.
            for (k, rows, nvec) in [(16, 9, 1), (40, 8, 5), (72, 14, 7), (7, 5, 3), (2048, 13, 9), (2048, 70, 2)] {
                check(type: type, k: k, rows: rows, nvec: nvec, rng: &rng)
            }
        }
    }

    /// Random weights in [-1, 1] as `type` stores them, (rows, k), and their float values.
    private func randomWeights(type: Int32, count: Int, rng: inout SystemRandomNumberGenerator) -> (bytes: [UInt8], values: [Float]) {
        var bytes: [UInt8] = [], values: [Float] = []
        for _ in 0 ..< count {
            let f = Float.random(in: -1 ... 1, using: &rng)
            switch type {
            case Int32(TERN_F16):
                let h = tern_fp32_to_fp16(f)
                bytes += [UInt8(h & 0xFF), UInt8(h >> 8)]
                values.append(tern_fp16_to_fp32(h))
            case Int32(TERN_BF16):
                let h = UInt16(f.bitPattern >> 16)
                bytes += [UInt8(h & 0xFF), UInt8(h >> 8)]
                values.append(Float(bitPattern: UInt32(h) << 16))
            default:
                withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes += $0 }
                values.append(f)
            }
        }
        return (bytes, values)
    }

    private func check(type: Int32, k: Int, rows: Int, nvec: Int, rng: inout SystemRandomNumberGenerator,
                       file: StaticString = #filePath, line: UInt = #line) {
        let (w, wf) = randomWeights(type: type, count: rows * k, rng: &rng)  // (rows, rowBytes) and (rows, k)
        let rowBytes = w.count / rows
        let x = (0 ..< nvec * k).map { _ in Float.random(in: -1 ... 1, using: &rng) }  // (nvec, k)
        let (r0, r1) = (1, rows)  // from an odd start: tiles of every height
        var y = [Float](repeating: .nan, count: nvec * rows)  // (nvec, rows)
        w.withUnsafeBytes { wr in
            x.withUnsafeBytes { xr in
                let wb = wr.baseAddress!, xb = xr.baseAddress!
                XCTAssertEqual(tern_matmul_float(type, wb, rowBytes, Int32(k), Int32(r0), Int32(r1), xb, k * 4, Int32(nvec), &y, Int32(rows)), 1,
                               file: file, line: line)
                for v in 0 ..< nvec {
                    XCTAssertTrue(y[v * rows].isNaN, "row 0 is outside the range", file: file, line: line)
                    for r in r0 ..< r1 {
                        let wp = wb + r * rowBytes, xp = xb + v * k * 4
                        var alone = Float.nan
                        _ = tern_matmul_float(type, wp, rowBytes, Int32(k), 0, 1, xp, k * 4, 1, &alone, 1)
                        let what = "type \(type) k \(k) row \(r) act \(v)"
                        XCTAssertEqual(y[v * rows + r], alone, what, file: file, line: line)
                        XCTAssertEqual(tern_vec_dot(type, Int32(k), wp, xp), alone, "the one-row dot is the 1 × 1 tile", file: file, line: line)
                        var exact = 0.0, magnitude = 1e-6
                        for i in 0 ..< k {
                            exact += Double(wf[r * k + i]) * Double(x[v * k + i])
                            magnitude += abs(Double(wf[r * k + i]) * Double(x[v * k + i]))
                        }
                        XCTAssertLessThan(abs(Double(alone) - exact) / magnitude, 1e-6, what, file: file, line: line)
                    }
                }
            }
        }
    }
}
