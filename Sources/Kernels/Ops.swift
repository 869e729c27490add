import CKernels

/// Thin Swift names for the elementwise C kernels (AVX2 where the CPU has it).
public enum Ops {
    public static func setup() { tern_init() }
    public static var usingAVX2: Bool { tern_using_avx2() != 0 }
    /// The AVX-512 VNNI kernels run (packed weights); false on other CPUs or with TERN_NO_AVX512=1.
    public static var usingAVX512: Bool { tern_using_avx512() != 0 }
    /// Force portable kernels (false) or allow AVX2 (true); for tests comparing both.
    public static func setSIMD(_ on: Bool) { tern_set_simd(on ? 1 : 0) }
    /// Gives freed heap memory back to the system (after loading, which frees MBs of parse buffers).
    public static func releaseFreeHeap() { tern_release_free_heap() }

    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, n: Int, eps: Float) {
        tern_rmsnorm(x, weight, out, Int32(n), eps)
    }

    public static func layerNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
                                 out: UnsafeMutablePointer<Float>, n: Int, eps: Float) {
        tern_layernorm(x, weight, bias, out, Int32(n), eps)
    }

    /// Rotary embedding in place on `heads` heads of `headDim` floats; `cos`/`sin` hold
    /// ropeDim/2 values for this token's position.
    public static func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, ropeDim: Int,
                            cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, neox: Bool) {
        tern_rope(x, Int32(heads), Int32(headDim), Int32(ropeDim), cos, sin, neox ? 1 : 0)
    }

    public static func attentionHead(q: UnsafePointer<Float>, headDim: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                     blockTable: UnsafePointer<Int32>, blockSize: Int, kvStride: Int, kvOffset: Int,
                                     range: Range<Int>, scale: Float, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        tern_attention_head(q, Int32(headDim), keys, values, blockTable, Int32(blockSize), Int32(kvStride), Int32(kvOffset),
                            Int32(range.lowerBound), Int32(range.upperBound), scale, scores, out)
    }

    /// Grouped-query attention for the `group` query heads of one KV head (see tern_attention_group).
    public static func attentionGroup(q: UnsafePointer<Float>, qStride: Int, group: Int, headDim: Int, keys: UnsafePointer<Float>,
                                      values: UnsafePointer<Float>, blockTable: UnsafePointer<Int32>, blockSize: Int, kvStride: Int,
                                      kvOffset: Int, range: Range<Int>, scale: Float, scores: UnsafeMutablePointer<Float>,
                                      out: UnsafeMutablePointer<Float>, outStride: Int) {
        tern_attention_group(q, Int32(qStride), Int32(group), Int32(headDim), keys, values, blockTable, Int32(blockSize), Int32(kvStride),
                             Int32(kvOffset), Int32(range.lowerBound), Int32(range.upperBound), scale, scores, out, Int32(outStride))
    }

    /// `attentionGroup` over a head-major paged cache of any dtype (see tern_attention_group_kv):
    /// `keys`/`values` point at this KV head's rows of block 0, block b's lie `blockStride` bytes
    /// further, `blockSize` rows of `dtype.rowBytes(headDim)` bytes each.
    public static func attentionGroup(dtype: KVCacheDType, q: UnsafePointer<Float>, qStride: Int, group: Int, headDim: Int,
                                      keys: UnsafeRawPointer, values: UnsafeRawPointer, blockStride: Int, blockTable: UnsafePointer<Int32>,
                                      blockSize: Int, range: Range<Int>, scale: Float, scores: UnsafeMutablePointer<Float>,
                                      out: UnsafeMutablePointer<Float>, outStride: Int) {
        tern_attention_group_kv(dtype.code, q, Int32(qStride), Int32(group), Int32(headDim), keys, values, blockStride, blockTable,
                                Int32(blockSize), Int32(range.lowerBound), Int32(range.upperBound), scale, scores, out, Int32(outStride))
    }

    /// `attentionGroup(dtype:…)` for `rows` consecutive new tokens of one sequence, each K/V
    /// run read once for all (see tern_attention_rows_kv): row r's queries at q + r·qRowStride,
    /// output at out + r·outRowStride; it attends to `range` extended by r positions when
    /// `causal`. scores: rows · group · (range.count + rows - 1) floats. Each row's result is
    /// bit-identical to a one-row call over its own range.
    public static func attentionRows(dtype: KVCacheDType, q: UnsafePointer<Float>, qRowStride: Int, rows: Int, group: Int,
                                     headDim: Int, keys: UnsafeRawPointer, values: UnsafeRawPointer, blockStride: Int,
                                     blockTable: UnsafePointer<Int32>, blockSize: Int, range: Range<Int>, causal: Bool, scale: Float,
                                     scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, outRowStride: Int) {
        tern_attention_rows_kv(dtype.code, q, Int32(headDim), Int32(qRowStride), Int32(rows), Int32(group), Int32(headDim), keys,
                               values, blockStride, blockTable, Int32(blockSize), Int32(range.lowerBound), Int32(range.upperBound),
                               causal ? 1 : 0, scale, scores, out, Int32(headDim), Int32(outRowStride))
    }

    /// `attentionGroup(dtype:…)` over this KV head's rows already converted to floats: `keys`,
    /// `values` (range.upperBound, headDim), position p at row p. Bit-identical to reading the
    /// `dtype` cache they came from (same runs, same softmax).
    public static func attentionGroup(flatFrom dtype: KVCacheDType, q: UnsafePointer<Float>, qStride: Int, group: Int, headDim: Int,
                                      keys: UnsafePointer<Float>, values: UnsafePointer<Float>, blockSize: Int, range: Range<Int>,
                                      scale: Float, scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, outStride: Int) {
        tern_attention_group_flat(q, Int32(qStride), Int32(group), Int32(headDim), keys, values, Int32(blockSize),
                                  Int32(range.lowerBound), Int32(range.upperBound), scale, dtype == .f32 ? 0 : 1, scores, out,
                                  Int32(outStride))
    }

    public static func swiglu(_ gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, n: Int) { tern_swiglu(gate, up, Int32(n)) }
    public static func geglu(_ gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, n: Int) { tern_geglu(gate, up, Int32(n)) }
    public static func gelu(_ x: UnsafeMutablePointer<Float>, n: Int) { tern_gelu(x, Int32(n)) }
    public static func softmax(_ x: UnsafeMutablePointer<Float>, n: Int) { tern_softmax(x, Int32(n)) }
    /// Index of the largest of n values (the lowest among equals; NaNs are skipped).
    public static func argmax(_ x: UnsafePointer<Float>, n: Int) -> Int32 { tern_argmax(x, Int32(n)) }
    /// The indices (ascending) of the values that are at least `floor` and, for each,
    /// exp((x - max) · invT), where `max` is the largest value (so every exponent is ≤ 0).
    public typealias Candidates = (ids: [Int32], p: [Float])
    public static func expCandidates(_ x: UnsafePointer<Float>, n: Int, max: Float, invT: Float, atLeast floor: Float) -> Candidates {
        var count = 0
        var p: [Float] = []
        let ids = [Int32](unsafeUninitializedCapacity: n) { idBuf, idCount in
            p = [Float](unsafeUninitializedCapacity: n) { pBuf, pCount in
                count = Int(tern_exp_candidates(x, Int32(n), max, invT, floor, idBuf.baseAddress!, pBuf.baseAddress!))
                pCount = count
            }
            idCount = count
        }
        return (ids, p)
    }

    /// Σ exp(x - max) over n values whose largest is `max` (within 1e-6 relative).
    public static func sumExp(_ x: UnsafePointer<Float>, n: Int, max: Float) -> Double { tern_sum_exp(x, Int32(n), max) }

    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, n: Int) -> Float { tern_dot_f32(a, b, Int32(n)) }

    /// y += x, n elements.
    public static func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, n: Int) { tern_axpy(y, x, 1, Int32(n)) }

    /// inv_freq[i] = base^(-2i / ropeDim) / freqFactor[i]
    public static func ropeInverseFrequencies(ropeDim: Int, base: Double, freqFactors: [Float]? = nil) -> [Float] {
        (0 ..< ropeDim / 2).map { i in
            let f = Float(pow(base, -2.0 * Double(i) / Double(ropeDim)))
            return f / (freqFactors.map { i < $0.count ? $0[i] : 1 } ?? 1)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
