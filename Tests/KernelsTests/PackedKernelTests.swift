import CKernels
import Kernels
import XCTest

/// The packed Q5_0/Q8_0 kernel (sixteen weight rows interleaved, AVX-512 VNNI): every output
/// equals the one-row dot of the same pair exactly, whatever the number of activation rows,
/// the row range, a partial last group, or whether the rows were packed ahead or on the way.
final class PackedKernelTests: XCTestCase {
    override func setUp() { Ops.setup() }

    func testPackedMatmulEqualsOneRowDots() throws {
        try XCTSkipUnless(tern_packs(Int32(TERN_Q8_0)) != 0, "no AVX-512 VNNI on this CPU: Q5_0/Q8_0 are not packed")
        var rng = SystemRandomNumberGenerator()
        let layouts = QuantDotTests.layouts.filter { $0.type == Int32(TERN_Q5_0) || $0.type == Int32(TERN_Q8_0) }
        let rows = 37, nvec = 31  // a partial last group; 16 + 8 + 4 + 2 + 1 activation rows
        for layout in layouts {
            for k in [512, 544] {  // even and odd block counts
                let rowBytes = k / 32 * layout.bytes
                var w: [UInt8] = []
                for _ in 0 ..< rows {
                    w += QuantDotTests.randomRow(bytes: layout.bytes, elems: 32, f16At: layout.f16At, k: k, rng: &rng)
                }
                let fmt = tern_act_format(layout.type)
                XCTAssertEqual(fmt, Int32(TERN_ACT_Q8_32X))
                let actBytes = tern_act_row_bytes(fmt, Int32(k))
                var act = [UInt8](repeating: 0, count: actBytes * nvec)
                for v in 0 ..< nvec {
                    var x = (0 ..< k).map { _ in Float.random(in: -2 ... 2, using: &rng) }
                    if v == 3 { for j in 0 ..< 32 { x[j] = 0 } }  // an all-zero block
                    act.withUnsafeMutableBytes { tern_quantize_act(fmt, x, $0.baseAddress! + v * actBytes, Int32(k)) }
                }
                // Every block carries c = -128 · Σ bytes.
                for v in 0 ..< nvec {
                    for b in 0 ..< k / 32 {
                        let base = v * actBytes + b * 40
                        let sum = (0 ..< 32).reduce(Int32(0)) { $0 + Int32(Int8(bitPattern: act[base + $1])) }
                        let c = act.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: base + 36, as: Int32.self) }
                        XCTAssertEqual(c, -128 * sum)
                    }
                }
                let size = tern_packed_bytes(Int32(rows), Int32(k))
                let packed = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
                defer { packed.deallocate() }
                tern_pack_rows(layout.type, w, rowBytes, Int32(k), Int32(rows), 0, 1, packed)  // two calls, as threads would
                tern_pack_rows(layout.type, w, rowBytes, Int32(k), Int32(rows), 1, 3, packed)
                let single: [[Float]] = (0 ..< nvec).map { v in
                    (0 ..< rows).map { r in
                        w.withUnsafeBytes { wr in act.withUnsafeBytes { tern_vec_dot(layout.type, Int32(k), wr.baseAddress! + r * rowBytes, $0.baseAddress! + v * actBytes) } }
                    }
                }
                for (r0, r1) in [(0, rows), (5, 30), (16, 37), (36, 37)] {
                    for n in [nvec, 1, 7] {
                        var a = [Float](repeating: .nan, count: n * rows), b = a
                        tern_matmul_packed(packed, Int32(k), Int32(rows), Int32(r0), Int32(r1), act, actBytes, Int32(n), &a, Int32(rows))
                        tern_matmul_rows(layout.type, w, rowBytes, Int32(k), Int32(r0), Int32(r1), act, actBytes, Int32(n), &b, Int32(rows))
                        for v in 0 ..< n {
                            for r in 0 ..< rows {
                                let i = v * rows + r
                                if (r0 ..< r1).contains(r) {
                                    XCTAssertEqual(a[i], single[v][r], "type \(layout.type) k \(k) row \(r) act \(v) of \(n)")
                                    XCTAssertEqual(b[i], single[v][r], "type \(layout.type) k \(k) row \(r) act \(v), packed on the way")
                                } else {
                                    XCTAssertTrue(a[i].isNaN && b[i].isNaN, "row \(r) outside [\(r0), \(r1)) written")
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
