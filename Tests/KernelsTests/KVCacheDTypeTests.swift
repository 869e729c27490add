import Foundation
import Kernels
import XCTest

/// KV cache rows in f16 and q8_0: what is stored reads back within the type's rounding, and
/// attention over such a cache equals attention over its rows read back as floats (the
/// kernel reads them directly, block table, tiles and remainders included), and stays close
/// to attention over the original f32 rows.
final class KVCacheDTypeTests: XCTestCase {
    func testRowsReadBackWithinTheTypesRounding() {
        var rng = SystemRandomNumberGenerator()
        let n = 96
        let x = (0 ..< n).map { _ in Float.random(in: -3 ... 3, using: &rng) }
        for simd in [true, false] {
            Ops.setSIMD(simd)
            for dtype in KVCacheDType.allCases {
                var row = [UInt8](repeating: 0, count: dtype.rowBytes(n)), back = [Float](repeating: 0, count: n)
                row.withUnsafeMutableBytes { dtype.store(x, to: $0.baseAddress!, count: n) }
                row.withUnsafeBytes { dtype.load($0.baseAddress!, offset: 32, count: 64, into: &back) }
                for i in 0 ..< 64 {
                    let v = x[32 + i]
                    switch dtype {
                    case .f32: XCTAssertEqual(back[i], v)
                    case .f16: XCTAssertEqual(back[i], Float(Float16(v)), "f16 rounds to nearest")
                    case .q8_0:
                        let block = x[32 + i / 32 * 32 ..< 32 + i / 32 * 32 + 32]
                        let d = block.map(abs).max()! / 127
                        // Half a step, plus up to 127 steps times the scale's rounding to half (2^-11 relative).
                        XCTAssertEqual(back[i], v, accuracy: d * (0.5 + 127.0 / 2048), "q8_0 keeps within half a step")
                    }
                }
            }
        }
        Ops.setSIMD(true)
        XCTAssertEqual(KVCacheDType.q8_0.rowBytes(128), 4 * 34)
        XCTAssertEqual(KVCacheDType.f16.rowBytes(128), 256)
        XCTAssertFalse(KVCacheDType.q8_0.supports(headDim: 48))
        XCTAssertTrue(KVCacheDType.f16.supports(headDim: 48))
    }

    /// f16 rows hold exactly Float16(x), vector or scalar: ties to even, subnormals (≈1e-40 among them), overflow to
    /// infinity and signed zeros included.
    func testF16StoreRoundsLikeFloat16() {
        let edge: [Float] = [0, -0.0, 1, -1, 65504, 65519.99, 65520, -70000, .infinity, 1e-8, 5.96e-8, 2.98e-8, 6.1e-5,
                             1.0009765625, 1.00048828125, 1.00146484375, 2049, 2051, -3.14159, Float(bitPattern: 0x0001_16C2)]
        var rng = SystemRandomNumberGenerator()
        let x = edge + (0 ..< 21).map { _ in Float.random(in: -1000 ... 1000, using: &rng) }  // 41: a vector tail too
        for simd in [true, false] {
            Ops.setSIMD(simd)
            var row = [UInt16](repeating: 0, count: x.count)
            row.withUnsafeMutableBytes { KVCacheDType.f16.store(x, to: $0.baseAddress!, count: x.count) }
            XCTAssertEqual(row, x.map { Float16($0).bitPattern }, "simd \(simd)")
        }
        Ops.setSIMD(true)
    }

    /// One paged cache in a given dtype, head-major blocks: (numBlocks, kvHeads, blockSize)
    /// segments of `dtype.rowBytes(headDim)`, made from row-major floats (slots, kvHeads * headDim).
    struct Cache {
        let dtype: KVCacheDType
        let kvHeads: Int, headDim: Int, blockSize: Int
        var keys: [UInt8], values: [UInt8]
        var seg: Int { dtype.rowBytes(headDim) }
        var blockStride: Int { kvHeads * blockSize * seg }

        init(dtype: KVCacheDType, keys k: [Float], values v: [Float], kvHeads: Int, headDim: Int, blockSize: Int) {
            (self.dtype, self.kvHeads, self.headDim, self.blockSize) = (dtype, kvHeads, headDim, blockSize)
            keys = []
            values = []
            keys = pack(k)
            values = pack(v)
        }

        func offset(slot: Int, head: Int) -> Int { slot / blockSize * blockStride + (head * blockSize + slot % blockSize) * seg }

        private func pack(_ x: [Float]) -> [UInt8] {
            let slots = x.count / (kvHeads * headDim)
            var bytes = [UInt8](repeating: 0, count: slots / blockSize * blockStride)
            bytes.withUnsafeMutableBytes { b in
                for s in 0 ..< slots {
                    for h in 0 ..< kvHeads {
                        dtype.store(Array(x[(s * kvHeads + h) * headDim ..< (s * kvHeads + h + 1) * headDim]), to: b.baseAddress! + offset(slot: s, head: h),
                                    count: headDim)
                    }
                }
            }
            return bytes
        }

        /// The rows as floats, row-major again.
        func readBack(_ bytes: [UInt8]) -> [Float] {
            let slots = bytes.count / blockStride * blockSize
            var out = [Float](repeating: 0, count: slots * kvHeads * headDim)
            bytes.withUnsafeBytes { b in
                for s in 0 ..< slots {
                    for h in 0 ..< kvHeads {
                        dtype.load(b.baseAddress! + offset(slot: s, head: h), offset: 0, count: headDim, into: &out[(s * kvHeads + h) * headDim])
                    }
                }
            }
            return out
        }

        func attend(q: [Float], group: Int, head: Int, table: [Int32], range: Range<Int>) -> [Float] {
            var scores = [Float](repeating: 0, count: group * range.count), out = [Float](repeating: 0, count: group * headDim)
            keys.withUnsafeBytes { k in
                values.withUnsafeBytes { v in
                    Ops.attentionGroup(dtype: dtype, q: q, qStride: headDim, group: group, headDim: headDim,
                                       keys: k.baseAddress! + head * blockSize * seg, values: v.baseAddress! + head * blockSize * seg,
                                       blockStride: blockStride, blockTable: table, blockSize: blockSize, range: range, scale: 0.125,
                                       scores: &scores, out: &out, outStride: headDim)
                }
            }
            return out
        }
        /// attentionRows over `rows` tokens whose queries follow each other in `q` (group · headDim each).
        func attendRows(q: [Float], rows: Int, group: Int, head: Int, table: [Int32], range: Range<Int>, causal: Bool) -> [Float] {
            var scores = [Float](repeating: .nan, count: rows * group * (range.count + rows - 1))
            var out = [Float](repeating: .nan, count: rows * group * headDim)
            keys.withUnsafeBytes { k in
                values.withUnsafeBytes { v in
                    Ops.attentionRows(dtype: dtype, q: q, qRowStride: group * headDim, rows: rows, group: group, headDim: headDim,
                                      keys: k.baseAddress! + head * blockSize * seg, values: v.baseAddress! + head * blockSize * seg,
                                      blockStride: blockStride, blockTable: table, blockSize: blockSize, range: range, causal: causal,
                                      scale: 0.125, scores: &scores, out: &out, outRowStride: group * headDim)
                }
            }
            return out
        }
    }

    func testAttentionRowsMatchOneRowCallsBitForBit() {
        var rng = SystemRandomNumberGenerator()
        for headDim in [64, 96] {
            let kvHeads = 2, group = 3, blockSize = 16, numBlocks = 7, width = kvHeads * headDim
            let k = (0 ..< numBlocks * blockSize * width).map { _ in Float.random(in: -2 ... 2, using: &rng) }
            let v = (0 ..< numBlocks * blockSize * width).map { _ in Float.random(in: -2 ... 2, using: &rng) }
            let table: [Int32] = [5, 2, 6, 0, 3, 1, 4]
            for simd in [true, false] {
                Ops.setSIMD(simd)
                for dtype in [KVCacheDType.f32, .f16, .q8_0] {
                    let c = Cache(dtype: dtype, keys: k, values: v, kvHeads: kvHeads, headDim: headDim, blockSize: blockSize)
                    for rows in [1, 2, 5, 9] {
                        let q = (0 ..< rows * group * headDim).map { _ in Float.random(in: -1 ... 1, using: &rng) }
                        for causal in [true, false] {
                            for range in [0 ..< 1, 0 ..< 30, 7 ..< 41, 17 ..< 95] where range.upperBound + rows <= numBlocks * blockSize {
                                let got = c.attendRows(q: q, rows: rows, group: group, head: 1, table: table, range: range, causal: causal)
                                for r in 0 ..< rows {
                                    let own = range.lowerBound ..< range.upperBound + (causal ? r : 0)
                                    let qr = Array(q[r * group * headDim ..< (r + 1) * group * headDim])
                                    let one = c.attend(q: qr, group: group, head: 1, table: table, range: own)
                                    XCTAssertEqual(Array(got[r * group * headDim ..< (r + 1) * group * headDim]).map(\.bitPattern), one.map(\.bitPattern),
                                                   "\(dtype) \(headDim) rows \(rows) row \(r) \(range) causal \(causal) simd \(simd)")
                                }
                            }
                        }
                    }
                }
            }
            Ops.setSIMD(true)
        }
    }

    func testAttentionReadsF16AndQ8_0Directly() {
        var rng = SystemRandomNumberGenerator()
        for headDim in [64, 128, 256] {
            let kvHeads = 2, group = 4, blockSize = 16, numBlocks = 7, width = kvHeads * headDim
            let k = (0 ..< numBlocks * blockSize * width).map { _ in Float.random(in: -2 ... 2, using: &rng) }
            let v = (0 ..< numBlocks * blockSize * width).map { _ in Float.random(in: -2 ... 2, using: &rng) }
            let q = (0 ..< group * headDim).map { _ in Float.random(in: -1 ... 1, using: &rng) }
            let table: [Int32] = [5, 2, 6, 0, 3, 1]
            let exact = Cache(dtype: .f32, keys: k, values: v, kvHeads: kvHeads, headDim: headDim, blockSize: blockSize)
            for simd in [true, false] {
                Ops.setSIMD(simd)
                for (dtype, tolerance) in [(KVCacheDType.f16, Float(4e-3)), (.q8_0, 3e-2)] {
                    let c = Cache(dtype: dtype, keys: k, values: v, kvHeads: kvHeads, headDim: headDim, blockSize: blockSize)
                    let rounded = Cache(dtype: .f32, keys: c.readBack(c.keys), values: c.readBack(c.values), kvHeads: kvHeads,
                                        headDim: headDim, blockSize: blockSize)
                    for range in [0 ..< 90, 7 ..< 41, 15 ..< 16, 33 ..< 90] {
                        let got = c.attend(q: q, group: group, head: 1, table: table, range: range)
                        let same = rounded.attend(q: q, group: group, head: 1, table: table, range: range)
                        let f32 = exact.attend(q: q, group: group, head: 1, table: table, range: range)
                        for i in got.indices {
                            XCTAssertEqual(got[i], same[i], accuracy: 1e-5, "\(dtype) \(headDim) \(range): reads the rows it stored")
                            XCTAssertEqual(got[i], f32[i], accuracy: tolerance, "\(dtype) \(headDim) \(range): close to f32")
                        }
                    }
                }
            }
            Ops.setSIMD(true)
        }
    }

    /// An f32 cache gives the row-major f32 kernel's results bit for bit (same arithmetic).
    func testF32IsTheFloatKernel() {
        var rng = SystemRandomNumberGenerator()
        let headDim = 64, width = 128, blockSize = 16, group = 2
        let k = (0 ..< 4 * blockSize * width).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        let v = (0 ..< 4 * blockSize * width).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        let q = (0 ..< group * headDim).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        let table: [Int32] = [3, 1, 0, 2]
        let typed = Cache(dtype: .f32, keys: k, values: v, kvHeads: 2, headDim: headDim, blockSize: blockSize)
            .attend(q: q, group: group, head: 1, table: table, range: 3 ..< 60)
        var scores = [Float](repeating: 0, count: group * 57), out = [Float](repeating: 0, count: group * headDim)
        Ops.attentionGroup(q: q, qStride: headDim, group: group, headDim: headDim, keys: k, values: v, blockTable: table, blockSize: blockSize,
                           kvStride: width, kvOffset: headDim, range: 3 ..< 60, scale: 0.125, scores: &scores, out: &out, outStride: headDim)
        XCTAssertEqual(typed, out)
    }
}
