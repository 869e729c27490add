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
                        XCTAssertEqual(back[i], v, accuracy: d * 0.5 + d * 2e-3, "q8_0 keeps within half a step")
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

    /// One paged cache in a given dtype: rows of `width` elements in `numBlocks * blockSize` slots.
    struct Cache {
        let dtype: KVCacheDType
        var keys: [UInt8], values: [UInt8]
        init(dtype: KVCacheDType, keys k: [Float], values v: [Float], width: Int) {
            self.dtype = dtype
            let rows = k.count / width, rb = dtype.rowBytes(width)
            keys = [UInt8](repeating: 0, count: rows * rb)
            values = keys
            k.withUnsafeBufferPointer { kp in
                v.withUnsafeBufferPointer { vp in
                    keys.withUnsafeMutableBytes { kb in
                        values.withUnsafeMutableBytes { vb in
                            for r in 0 ..< rows {
                                dtype.store(kp.baseAddress! + r * width, to: kb.baseAddress! + r * rb, count: width)
                                dtype.store(vp.baseAddress! + r * width, to: vb.baseAddress! + r * rb, count: width)
                            }
                        }
                    }
                }
            }
        }

        /// The rows as floats.
        func readBack(_ bytes: [UInt8], width: Int) -> [Float] {
            let rb = dtype.rowBytes(width), rows = bytes.count / rb
            var out = [Float](repeating: 0, count: rows * width)
            bytes.withUnsafeBytes { b in
                for r in 0 ..< rows { dtype.load(b.baseAddress! + r * rb, offset: 0, count: width, into: &out[r * width]) }
            }
            return out
        }

        func attend(q: [Float], group: Int, headDim: Int, width: Int, table: [Int32], blockSize: Int, kvOffset: Int,
                    range: Range<Int>) -> [Float] {
            var scores = [Float](repeating: 0, count: group * range.count), out = [Float](repeating: 0, count: group * headDim)
            keys.withUnsafeBytes { k in
                values.withUnsafeBytes { v in
                    Ops.attentionGroup(dtype: dtype, q: q, qStride: headDim, group: group, headDim: headDim, keys: k.baseAddress!,
                                       values: v.baseAddress!, rowBytes: dtype.rowBytes(width), blockTable: table, blockSize: blockSize,
                                       kvOffset: kvOffset, range: range, scale: 0.125, scores: &scores, out: &out, outStride: headDim)
                }
            }
            return out
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
            let exact = Cache(dtype: .f32, keys: k, values: v, width: width)
            for simd in [true, false] {
                Ops.setSIMD(simd)
                for (dtype, tolerance) in [(KVCacheDType.f16, Float(4e-3)), (.q8_0, 3e-2)] {
                    let c = Cache(dtype: dtype, keys: k, values: v, width: width)
                    let rounded = Cache(dtype: .f32, keys: c.readBack(c.keys, width: width), values: c.readBack(c.values, width: width), width: width)
                    for range in [0 ..< 90, 7 ..< 41, 15 ..< 16, 33 ..< 90] {
                        let got = c.attend(q: q, group: group, headDim: headDim, width: width, table: table, blockSize: blockSize,
                                           kvOffset: headDim, range: range)
                        let same = rounded.attend(q: q, group: group, headDim: headDim, width: width, table: table, blockSize: blockSize,
                                                  kvOffset: headDim, range: range)
                        let f32 = exact.attend(q: q, group: group, headDim: headDim, width: width, table: table, blockSize: blockSize,
                                               kvOffset: headDim, range: range)
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

    /// With an f32 cache the typed entry point is the f32 kernel, bit for bit.
    func testF32IsTheFloatKernel() {
        var rng = SystemRandomNumberGenerator()
        let headDim = 64, width = 128, blockSize = 16, group = 2
        let k = (0 ..< 4 * blockSize * width).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        let v = (0 ..< 4 * blockSize * width).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        let q = (0 ..< group * headDim).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        let table: [Int32] = [3, 1, 0, 2]
        let typed = Cache(dtype: .f32, keys: k, values: v, width: width)
            .attend(q: q, group: group, headDim: headDim, width: width, table: table, blockSize: blockSize, kvOffset: 0, range: 3 ..< 60)
        var scores = [Float](repeating: 0, count: group * 57), out = [Float](repeating: 0, count: group * headDim)
        Ops.attentionGroup(q: q, qStride: headDim, group: group, headDim: headDim, keys: k, values: v, blockTable: table, blockSize: blockSize,
                           kvStride: width, kvOffset: 0, range: 3 ..< 60, scale: 0.125, scores: &scores, out: &out, outStride: headDim)
        XCTAssertEqual(typed, out)
    }
}
