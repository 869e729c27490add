import Foundation
import Kernels
import XCTest

/// Elementwise kernels and paged attention against naive loops.
final class ElementwiseTests: XCTestCase {
    override func setUp() { Ops.setup() }

    func testArgmaxIsTheFirstLargestAndSkipsNaN() {
        var rng = SystemRandomNumberGenerator()
        for n in [1, 7, 8, 9, 100, 262_144] {
            var x = (0 ..< n).map { _ in Float.random(in: -5 ... 5, using: &rng) }
            let naive = { (x: [Float]) -> Int32 in Int32(x.indices.filter { !x[$0].isNaN }.max { x[$0] < x[$1] || (x[$0] == x[$1] && $0 > $1) } ?? 0) }
            XCTAssertEqual(Ops.argmax(x, n: n), naive(x), "n \(n)")
            if n > 2 {
                x[n - 1] = x[Int(naive(x))]          // a tie after the first largest
                x[0] = .nan
                XCTAssertEqual(Ops.argmax(x, n: n), naive(x), "n \(n) with a tie and a NaN")
                for i in 0 ..< n { x[i] = 1 }                   // all equal: the first
                XCTAssertEqual(Ops.argmax(x, n: n), 0)
            }
            Ops.setSIMD(false)
            XCTAssertEqual(Ops.argmax(x, n: n), naive(x), "n \(n), portable")
            Ops.setSIMD(true)
        }
    }

    /// Sampling candidates: the indices at or above the floor, and exp((x - max) / T) within a
    /// few float ulps of the exponent that float arithmetic gives, SIMD and portable alike.
    func testExpCandidates() {
        var rng = SystemRandomNumberGenerator()
        let n = 10_007
        var x = (0 ..< n).map { _ in Float.random(in: -40 ... 12, using: &rng) }
        x[17] = .nan
        x[18] = -.infinity
        let max = x.filter { !$0.isNaN }.max()!, invT: Float = 1 / 0.7, floor = max - 30 / invT
        for simd in [true, false] {
            Ops.setSIMD(simd)
            let c = Ops.expCandidates(x, n: n, max: max, invT: invT, atLeast: floor)
            XCTAssertEqual(c.ids, x.indices.filter { x[$0] >= floor }.map(Int32.init), "simd \(simd)")
            for (id, p) in zip(c.ids, c.p) {
                let want = exp(Double((x[Int(id)] - max) * invT))  // the exponent as float arithmetic rounds it
                XCTAssertEqual(Double(p), want, accuracy: 5e-7 * want, "x \(x[Int(id)]), simd \(simd)")
            }
        }
        Ops.setSIMD(true)
    }

    func testSumExp() {
        var rng = SystemRandomNumberGenerator()
        for n in [5, 262_147] {
            let x = (0 ..< n).map { _ in Float.random(in: -120 ... 10, using: &rng) }
            let max = x.max()!
            let want = x.reduce(0.0) { $0 + exp(Double($1 - max)) }
            for simd in [true, false] {
                Ops.setSIMD(simd)
                XCTAssertEqual(Ops.sumExp(x, n: n, max: max), want, accuracy: 1e-6 * want, "n \(n), simd \(simd)")
            }
        }
        Ops.setSIMD(true)
    }

    func testRMSNorm() {
        let x: [Float] = (0 ..< 100).map { Float($0) / 10 - 5 }
        let w: [Float] = (0 ..< 100).map { 1 + Float($0) / 100 }
        var out = [Float](repeating: 0, count: 100)
        Ops.rmsNorm(x, weight: w, out: &out, n: 100, eps: 1e-6)
        let rms = (x.map { $0 * $0 }.reduce(0, +) / 100 + 1e-6).squareRoot()
        for i in 0 ..< 100 { XCTAssertEqual(out[i], x[i] / rms * w[i], accuracy: 1e-5) }
    }

    func testRopeBothLayouts() {
        let headDim = 8, pos = 5
        let inv = Ops.ropeInverseFrequencies(ropeDim: headDim, base: 10000)
        let cosT = inv.map { cos(Float(pos) * $0) }, sinT = inv.map { sin(Float(pos) * $0) }
        let x: [Float] = (0 ..< 2 * headDim).map { Float($0 + 1) }
        for neox in [false, true] {
            var y = x
            Ops.rope(&y, heads: 2, headDim: headDim, ropeDim: headDim, cos: cosT, sin: sinT, neox: neox)
            for h in 0 ..< 2 {
                for i in 0 ..< headDim / 2 {
                    let (a, b) = neox ? (h * headDim + i, h * headDim + i + headDim / 2) : (h * headDim + 2 * i, h * headDim + 2 * i + 1)
                    XCTAssertEqual(y[a], x[a] * cosT[i] - x[b] * sinT[i], accuracy: 1e-5)
                    XCTAssertEqual(y[b], x[a] * sinT[i] + x[b] * cosT[i], accuracy: 1e-5)
                }
            }
        }
    }

    /// SwiGLU's vector path (eight at a time) against the formula, over gates from −100 (e^-g
    /// would overflow a plain 1 + e^-g) to 100, on both paths.
    func testSwiGLUOverTheWholeRange() {
        let g = (0 ..< 1003).map { Float($0 - 501) / 5 } + [-0.0, 1e-30, -1e-30, 88.7, -88.7]
        let u = g.indices.map { Float($0 % 7) - 3 }
        for simd in [true, false] {
            Ops.setSIMD(simd)
            var s = g
            Ops.swiglu(&s, up: u, n: s.count)
            for i in g.indices {
                let want = Double(g[i]) / (1 + Foundation.exp(-Double(g[i]))) * Double(u[i])
                XCTAssertEqual(Double(s[i]), want, accuracy: 1e-6 * max(1, abs(want)), "g \(g[i]) simd \(simd)")
            }
        }
        Ops.setSIMD(true)
    }

    func testActivationsAndSoftmax() {
        var g: [Float] = [-3, -0.5, 0, 0.5, 3], u: [Float] = [1, 2, 3, 4, 5]
        var s = g
        Ops.swiglu(&s, up: u, n: 5)
        for i in 0 ..< 5 { XCTAssertEqual(s[i], g[i] / (1 + exp(-g[i])) * u[i], accuracy: 1e-5) }
        var e = g
        Ops.geglu(&e, up: u, n: 5)
        for i in 0 ..< 5 {
            let x = g[i], gelu = 0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x * x * x)))
            XCTAssertEqual(e[i], gelu * u[i], accuracy: 1e-5)
        }
        Ops.softmax(&g, n: 5)
        XCTAssertEqual(g.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(g[4] / g[3], exp(2.5), accuracy: 1e-3)
        u = [1000, 1000]
        Ops.softmax(&u, n: 2)
        XCTAssertEqual(u, [0.5, 0.5])
    }

    /// Attention over a paged store with a scrambled block table equals attention over the
    /// same keys and values laid out contiguously.
    func testPagedAttentionMatchesContiguous() {
        let headDim = 16, kvHeads = 2, blockSize = 4, numBlocks = 8, n = 13
        let kvStride = kvHeads * headDim
        var rng = SystemRandomNumberGenerator()
        var keys = [Float](repeating: 0, count: numBlocks * blockSize * kvStride), values = keys
        let table: [Int32] = [5, 2, 7, 0]
        let ks = (0 ..< n * kvStride).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        let vs = (0 ..< n * kvStride).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        for p in 0 ..< n {
            let slot = Int(table[p / blockSize]) * blockSize + p % blockSize
            for j in 0 ..< kvStride { keys[slot * kvStride + j] = ks[p * kvStride + j]; values[slot * kvStride + j] = vs[p * kvStride + j] }
        }
        let q = (0 ..< headDim).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        for (start, end, head) in [(0, 13, 0), (0, 13, 1), (4, 11, 1), (12, 13, 0)] {
            var scores = [Float](repeating: 0, count: n), out = [Float](repeating: 0, count: headDim)
            Ops.attentionHead(q: q, headDim: headDim, keys: keys, values: values, blockTable: table, blockSize: blockSize,
                              kvStride: kvStride, kvOffset: head * headDim, range: start ..< end, scale: 0.25, scores: &scores, out: &out)
            var w = (start ..< end).map { p in (0 ..< headDim).reduce(Float(0)) { $0 + q[$1] * ks[p * kvStride + head * headDim + $1] } * 0.25 }
            let m = w.max()!
            w = w.map { exp($0 - m) }
            let total = w.reduce(0, +)
            for d in 0 ..< headDim {
                let e = (start ..< end).enumerated().reduce(Float(0)) { $0 + w[$1.offset] / total * vs[$1.element * kvStride + head * headDim + d] }
                XCTAssertEqual(out[d], e, accuracy: 1e-5)
            }
        }
    }

    /// Grouped attention equals the per-head kernel for every head of the group.
    func testGroupedAttentionMatchesPerHead() {
        let headDim = 16, kvHeads = 2, group = 3, blockSize = 4, numBlocks = 8
        let kvStride = kvHeads * headDim
        var rng = SystemRandomNumberGenerator()
        let keys = (0 ..< numBlocks * blockSize * kvStride).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        let values = (0 ..< numBlocks * blockSize * kvStride).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        let table: [Int32] = [3, 6, 1, 0, 7]
        let q = (0 ..< group * headDim).map { _ in Float.random(in: -1 ... 1, using: &rng) }
        for simd in [true, false] {
            Ops.setSIMD(simd)
            for (start, end) in [(0, 17), (5, 12), (16, 17)] {
                var scores = [Float](repeating: 0, count: 64), out = [Float](repeating: 0, count: group * headDim)
                Ops.attentionGroup(q: q, qStride: headDim, group: group, headDim: headDim, keys: keys, values: values, blockTable: table,
                                   blockSize: blockSize, kvStride: kvStride, kvOffset: headDim, range: start ..< end, scale: 0.3,
                                   scores: &scores, out: &out, outStride: headDim)
                for h in 0 ..< group {
                    var one = [Float](repeating: 0, count: headDim)
                    Ops.attentionHead(q: Array(q[h * headDim ..< (h + 1) * headDim]), headDim: headDim, keys: keys, values: values,
                                      blockTable: table, blockSize: blockSize, kvStride: kvStride, kvOffset: headDim, range: start ..< end,
                                      scale: 0.3, scores: &scores, out: &one)
                    for d in 0 ..< headDim { XCTAssertEqual(out[h * headDim + d], one[d], accuracy: 1e-5) }
                }
            }
        }
        Ops.setSIMD(true)
    }
    /// Grouped attention at real head sizes (64: SmolLM2, 256: Gemma 3, 72: a remainder
    /// past the 64-float register chunks) against a naive loop, across block boundaries.
    func testGroupedAttentionMatchesNaiveAtModelSizes() {
        var rng = SystemRandomNumberGenerator()
        for headDim in [64, 256, 72] {
            let kvHeads = 2, group = 3, blockSize = 16, numBlocks = 6
            let kvStride = kvHeads * headDim, kvOff = headDim
            let keys = (0 ..< numBlocks * blockSize * kvStride).map { _ in Float.random(in: -1 ... 1, using: &rng) }
            let values = (0 ..< numBlocks * blockSize * kvStride).map { _ in Float.random(in: -1 ... 1, using: &rng) }
            let table: [Int32] = [4, 1, 5, 0, 2]
            let q = (0 ..< group * headDim).map { _ in Float.random(in: -1 ... 1, using: &rng) }
            for (start, end) in [(0, 75), (3, 37), (16, 17), (30, 35)] {
                var scores = [Float](repeating: 0, count: group * 80), out = [Float](repeating: 0, count: group * headDim)
                Ops.attentionGroup(q: q, qStride: headDim, group: group, headDim: headDim, keys: keys, values: values, blockTable: table,
                                   blockSize: blockSize, kvStride: kvStride, kvOffset: kvOff, range: start ..< end, scale: 0.125,
                                   scores: &scores, out: &out, outStride: headDim)
                for h in 0 ..< group {
                    let slots = (start ..< end).map { Int(table[$0 / blockSize]) * blockSize + $0 % blockSize }
                    var w = slots.map { slot in (0 ..< headDim).reduce(Double(0)) { $0 + Double(q[h * headDim + $1]) * Double(keys[slot * kvStride + kvOff + $1]) } * 0.125 }
                    let m = w.max() ?? 0
                    w = w.map { Foundation.exp($0 - m) }
                    let total = w.reduce(0, +)
                    for d in 0 ..< headDim {
                        let e = zip(w, slots).reduce(Double(0)) { $0 + $1.0 / total * Double(values[$1.1 * kvStride + kvOff + d]) }
                        XCTAssertEqual(Double(out[h * headDim + d]), e, accuracy: 1e-5, "headDim \(headDim) range \(start)..<\(end)")
                    }
                }
            }
        }
    }
}
