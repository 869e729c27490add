import CKernels
import Kernels
import XCTest

/// The packed Q4_0/Q4_1/Q5_0/Q8_0/Q4_K/Q5_K/Q6_K/IQ4_XS kernels (sixteen weight rows interleaved, AVX-512
/// VNNI, or on AVX2 as two halves of eight rows): unpacking gives back the file's bytes, and every output equals the one-row dot of
/// the same pair exactly, whatever the number of activation rows, the row range, a partial
/// last group, or whether the rows were packed ahead or on the way.
final class PackedKernelTests: XCTestCase {
    override func setUp() { Ops.setup() }

    func testPackedMatmulEqualsOneRowDots() throws {
        try XCTSkipUnless(tern_packs(Int32(TERN_Q8_0)) != 0, "no AVX2 or AVX-512 VNNI on this CPU: nothing is packed")
        var rng = SystemRandomNumberGenerator()
        let layouts = QuantDotTests.layouts.filter { tern_packs($0.type) != 0 }
        XCTAssertEqual(Set(layouts.map(\.type)), [Int32(TERN_Q4_0), Int32(TERN_Q4_1), Int32(TERN_Q5_0), Int32(TERN_Q8_0), Int32(TERN_Q4_K),
                                                   Int32(TERN_Q5_K), Int32(TERN_Q6_K), Int32(TERN_IQ4_XS)])
        for layout in layouts {
            // Even and odd block counts; a partial last group, and a single partial group.
            for k in layout.elems == 32 ? [512, 544] : [512, 768] {
                for rows in [37, 5] { check(layout, k: k, rows: rows, rng: &rng) }
            }
        }
    }

    /// Packs `rows` random rows of `layout` and checks unpacking and the packed matmul.
    private func check(_ layout: (type: Int32, bytes: Int, elems: Int, f16At: [Int]), k: Int, rows: Int,
                       rng: inout SystemRandomNumberGenerator) {
        let nvec = 33  // 16 + 16 + 1 activation rows
        let rowBytes = k / layout.elems * layout.bytes
        var w: [UInt8] = []
        for _ in 0 ..< rows {
            w += QuantDotTests.randomRow(bytes: layout.bytes, elems: layout.elems, f16At: layout.f16At, k: k, rng: &rng)
        }
        let fmt = tern_act_format(layout.type)
        XCTAssertEqual(fmt, layout.type == Int32(TERN_Q4_1) ? Int32(TERN_ACT_Q8_32) : layout.elems == 32 ? Int32(TERN_ACT_Q8_32X) : Int32(TERN_ACT_Q8_256))
        let groups = Int32((rows + 15) / 16)
        let actBytes = tern_act_row_bytes(fmt, Int32(k))
        let act = Self.activations(fmt, k: k, nvec: nvec, zeroBlock: layout.elems, rng: &rng)
        let size = tern_packed_bytes(layout.type, Int32(rows), Int32(k))
        let packed = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { packed.deallocate() }
        tern_pack_rows(layout.type, w, rowBytes, Int32(k), Int32(rows), 0, 1, packed)  // two calls, as threads would
        tern_pack_rows(layout.type, w, rowBytes, Int32(k), Int32(rows), 1, groups, packed)
        let ranges = rows > 16 ? [(0, rows), (5, 30), (16, 37), (36, 37)] : [(0, rows), (1, 4)]
        // Unpacking gives back the file's bytes exactly, for any row range.
        for (r0, r1) in ranges {
            var back = [UInt8](repeating: 0xAA, count: (r1 - r0) * rowBytes)
            tern_unpack_rows(layout.type, packed, Int32(k), Int32(r0), Int32(r1), &back, rowBytes)
            XCTAssertEqual(back, Array(w[r0 * rowBytes ..< r1 * rowBytes]), "type \(layout.type) k \(k) rows \(r0)..<\(r1) unpacked")
        }
        let single: [[Float]] = (0 ..< nvec).map { v in
            (0 ..< rows).map { r in
                w.withUnsafeBytes { wr in act.withUnsafeBytes { tern_vec_dot(layout.type, Int32(k), wr.baseAddress! + r * rowBytes, $0.baseAddress! + v * actBytes) } }
            }
        }
        for (r0, r1) in ranges {
            for n in [nvec, 1, 2, 3, 4, 5, 6, 7, 8, 13, 16] {  // every kernel count, and 13 = 8 + 5
                var a = [Float](repeating: .nan, count: n * rows), b = a
                tern_matmul_packed(layout.type, packed, Int32(k), Int32(r0), Int32(r1), act, actBytes, Int32(n), &a, Int32(rows))
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

    /// nvec random activation rows quantized to `fmt`; row 3 starts with a zero block of `zeroBlock` elements.
    static func activations(_ fmt: Int32, k: Int, nvec: Int, zeroBlock: Int, rng: inout SystemRandomNumberGenerator) -> [UInt8] {
        let actBytes = tern_act_row_bytes(fmt, Int32(k))
        var act = [UInt8](repeating: 0, count: actBytes * nvec)
        for v in 0 ..< nvec {
            var x = (0 ..< k).map { _ in Float.random(in: -2 ... 2, using: &rng) }
            if v == 3 { for j in 0 ..< zeroBlock { x[j] = 0 } }  // an all-zero block
            act.withUnsafeMutableBytes { tern_quantize_act(fmt, x, $0.baseAddress! + v * actBytes, Int32(k)) }
        }
        // Every Q8_32X block carries c = -128 · Σ bytes.
        for v in 0 ..< nvec where fmt == Int32(TERN_ACT_Q8_32X) {
            for b in 0 ..< k / 32 {
                let base = v * actBytes + b * 40
                let sum = (0 ..< 32).reduce(Int32(0)) { $0 + Int32(Int8(bitPattern: act[base + $1])) }
                let c = act.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: base + 36, as: Int32.self) }
                XCTAssertEqual(c, -128 * sum)
            }
        }
        return act
    }
}
