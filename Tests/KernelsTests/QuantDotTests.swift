import CKernels
import Kernels
import XCTest

/// Every quantized dot product, AVX2 and portable, against a naive float loop over the
/// dequantized weights and activations.
final class QuantDotTests: XCTestCase {
    /// (type, bytes per block, elements per block, offsets of f16 scale fields)
    static let layouts: [(type: Int32, bytes: Int, elems: Int, f16At: [Int])] = [
        (Int32(TERN_Q4_0), 18, 32, [0]), (Int32(TERN_Q4_1), 20, 32, [0, 2]), (Int32(TERN_Q5_0), 22, 32, [0]),
        (Int32(TERN_Q5_1), 24, 32, [0, 2]), (Int32(TERN_Q8_0), 34, 32, [0]), (Int32(TERN_Q4_K), 144, 256, [0, 2]),
        (Int32(TERN_Q5_K), 176, 256, [0, 2]), (Int32(TERN_Q6_K), 210, 256, [208]), (Int32(TERN_Q2_K), 84, 256, [80, 82]),
        (Int32(TERN_Q3_K), 110, 256, [108]), (Int32(TERN_IQ4_NL), 18, 32, [0]), (Int32(TERN_IQ4_XS), 136, 256, [0]),
    ]

    override func setUp() { Ops.setup() }
    override func tearDown() { Ops.setSIMD(true) }

    /// Random blocks with random payload bits and small positive scales.
    static func randomRow(bytes: Int, elems: Int, f16At: [Int], k: Int, rng: inout SystemRandomNumberGenerator) -> [UInt8] {
        let nb = k / elems
        var row = (0 ..< nb * bytes).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
        for b in 0 ..< nb {
            for off in f16At {
                let h = tern_fp32_to_fp16(Float.random(in: 0.001 ... 0.05, using: &rng))
                row[b * bytes + off] = UInt8(h & 0xFF)
                row[b * bytes + off + 1] = UInt8(h >> 8)
            }
        }
        return row
    }

    func testDotProductsMatchNaiveLoop() {
        var rng = SystemRandomNumberGenerator()
        for layout in Self.layouts {
            for trial in 0 ..< 20 {
                // Even and odd block counts.
                let k = trial % 2 == 0 || layout.elems == 256 ? 512 : 544
                let row = Self.randomRow(bytes: layout.bytes, elems: layout.elems, f16At: layout.f16At, k: k, rng: &rng)
                let x = (0 ..< k).map { _ in Float.random(in: -2 ... 2, using: &rng) }
                var w = [Float](repeating: 0, count: k)
                XCTAssertEqual(tern_dequantize(layout.type, row, &w, Int64(k)), 0)
                // The activation format depends on the kernels in use (AVX-512 Q5_0/Q8_0 take another
                // layout of the same values), so each mode quantizes its own row.
                func quantized() -> (act: [UInt8], format: Int32) {
                    let fmt = tern_act_format(layout.type)
                    var act = [UInt8](repeating: 0, count: tern_act_row_bytes(fmt, Int32(k)))
                    tern_quantize_act(fmt, x, &act, Int32(k))
                    return (act, fmt)
                }
                Ops.setSIMD(false)
                let plain = quantized()
                let portable = Double(tern_vec_dot(layout.type, Int32(k), row, plain.act))
                Ops.setSIMD(true)
                let packed = quantized()
                let simd = Double(tern_vec_dot(layout.type, Int32(k), row, packed.act))
                // The activation as the kernel sees it: int8 values times the block scale.
                let xq = Self.dequantizeActivation(plain.act, format: plain.format, k: k)
                XCTAssertEqual(Self.dequantizeActivation(packed.act, format: packed.format, k: k), xq)
                let naive = zip(w, xq).reduce(Double(0)) { $0 + Double($1.0) * Double($1.1) }
                let scale = zip(w, xq).reduce(Double(0)) { $0 + abs(Double($1.0) * Double($1.1)) } + 1e-6
                XCTAssertLessThan(abs(portable - naive) / scale, 1e-5, "portable type \(layout.type)")
                XCTAssertLessThan(abs(simd - naive) / scale, 1e-5, "simd type \(layout.type)")
            }
        }
    }

    /// The multi-row kernels (4 activation rows per weight row on AVX2; 16, 8, 4, 2 for the
    /// packed AVX-512 types) equal one-row
    /// dots exactly (batch invariance), for even and odd block counts.
    func testMultiRowKernelsEqualSingleRowDots() {
        var rng = SystemRandomNumberGenerator()
        let nvec = 31  // 16 + 8 + 4 + 3 single rows
        for layout in Self.layouts {
            for k in [256, 288, 544] where k % layout.elems == 0 {
                let row = Self.randomRow(bytes: layout.bytes, elems: layout.elems, f16At: layout.f16At, k: k, rng: &rng)
                let fmt = tern_act_format(layout.type)
                let rowBytes = tern_act_row_bytes(fmt, Int32(k))
                var act = [UInt8](repeating: 0, count: rowBytes * nvec)
                for v in 0 ..< nvec {
                    let x = (0 ..< k).map { _ in Float.random(in: -2 ... 2, using: &rng) }
                    act.withUnsafeMutableBytes { tern_quantize_act(fmt, x, $0.baseAddress! + v * rowBytes, Int32(k)) }
                }
                var y = [Float](repeating: 0, count: nvec)
                tern_matmul_rows(layout.type, row, row.count, Int32(k), 0, 1, act, rowBytes, Int32(nvec), &y, 1)
                for v in 0 ..< nvec {
                    let single = act.withUnsafeBytes { tern_vec_dot(layout.type, Int32(k), row, $0.baseAddress! + v * rowBytes) }
                    XCTAssertEqual(y[v], single, "type \(layout.type) k \(k) row \(v)")
                }
            }
        }
    }

    /// SIMD dequantization equals the portable one exactly.
    func testDequantizationSIMDEqualsPortable() {
        var rng = SystemRandomNumberGenerator()
        for layout in Self.layouts {
            let k = 512
            let row = Self.randomRow(bytes: layout.bytes, elems: layout.elems, f16At: layout.f16At, k: k, rng: &rng)
            var a = [Float](repeating: 0, count: k), b = a
            Ops.setSIMD(false)
            XCTAssertEqual(tern_dequantize(layout.type, row, &a, Int64(k)), 0)
            Ops.setSIMD(true)
            XCTAssertEqual(tern_dequantize(layout.type, row, &b, Int64(k)), 0)
            XCTAssertEqual(a, b, "type \(layout.type)")
        }
    }

    /// SIMD activation quantization writes exactly the bytes of the portable loop.
    func testActivationQuantizationSIMDEqualsPortable() {
        var rng = SystemRandomNumberGenerator()
        for scale in [Float(0.01), 1, 300] {
            var x = (0 ..< 1024).map { _ in Float.random(in: -scale ... scale, using: &rng) }
            for j in 0 ..< 32 { x[j] = 0 }                // an all-zero block
            x[40] = 127 * scale / 255                     // ties at .5 after scaling are likely somewhere
            x[300] = -x.map(abs).max()!                   // the largest magnitude twice, negative first:
            x[301] = -x[300]                              // Q8_256 takes the first one's sign
            for fmt in [Int32(TERN_ACT_Q8_32), Int32(TERN_ACT_Q8_256)] {
                var a = [UInt8](repeating: 0, count: tern_act_row_bytes(fmt, 1024)), b = a
                Ops.setSIMD(false)
                tern_quantize_act(fmt, x, &a, 1024)
                Ops.setSIMD(true)
                tern_quantize_act(fmt, x, &b, 1024)
                XCTAssertEqual(a, b, "format \(fmt), scale \(scale)")
            }
        }
    }

    /// The activation quantization error itself stays small.
    func testActivationQuantizationIsClose() {
        var rng = SystemRandomNumberGenerator()
        for fmt in [Int32(TERN_ACT_Q8_32), Int32(TERN_ACT_Q8_32X), Int32(TERN_ACT_Q8_256)] {
            let x = (0 ..< 512).map { _ in Float.random(in: -3 ... 3, using: &rng) }
            var act = [UInt8](repeating: 0, count: tern_act_row_bytes(fmt, 512))
            tern_quantize_act(fmt, x, &act, 512)
            let xq = Self.dequantizeActivation(act, format: fmt, k: 512)
            for (a, b) in zip(x, xq) { XCTAssertEqual(a, b, accuracy: 3.0 / 127) }
        }
    }

    static func dequantizeActivation(_ act: [UInt8], format: Int32, k: Int) -> [Float] {
        act.withUnsafeBytes { raw in
            var out: [Float] = []
            if format == Int32(TERN_ACT_Q8_32X) {  // 32 bytes, d, then c = -128 · Σ bytes
                for b in 0 ..< k / 32 {
                    let base = b * 40
                    let d = raw.loadUnaligned(fromByteOffset: base + 32, as: Float.self)
                    for j in 0 ..< 32 { out.append(d * Float(raw.load(fromByteOffset: base + j, as: Int8.self))) }
                }
            } else if format == Int32(TERN_ACT_Q8_32) {
                for b in 0 ..< k / 32 {
                    let base = b * 40
                    let d = raw.loadUnaligned(fromByteOffset: base, as: Float.self)
                    for j in 0 ..< 32 { out.append(d * Float(raw.load(fromByteOffset: base + 8 + j, as: Int8.self))) }
                }
            } else {
                for b in 0 ..< k / 256 {
                    let base = b * 292
                    let d = raw.loadUnaligned(fromByteOffset: base, as: Float.self)
                    for j in 0 ..< 256 { out.append(d * Float(raw.load(fromByteOffset: base + 36 + j, as: Int8.self))) }
                }
            }
            return out
        }
    }

    func testHalfPrecisionConversionRoundTrips() {
        Ops.setup()
        for h in stride(from: 0, through: 0xFFFF, by: 7) where (h >> 10) & 0x1F != 31 {
            let f = tern_fp16_to_fp32(UInt16(h))
            XCTAssertEqual(tern_fp32_to_fp16(f), UInt16(h))
        }
        XCTAssertEqual(tern_fp16_to_fp32(0x3C00), 1)
        XCTAssertEqual(tern_fp16_to_fp32(0xC000), -2)
        XCTAssertEqual(tern_fp16_to_fp32(0x0001), Float(5.960464477539063e-08))
    }
}
