import CKernels

/// How the paged KV cache stores keys and values (vLLM's `--kv-cache-dtype`). A cache row is
/// one position's kvWidth = numKVHeads * headDim elements:
/// - `f32`: kvWidth floats (4 bytes each);
/// - `f16`: kvWidth IEEE halves (2 bytes each);
/// - `q8_0`: kvWidth / 32 blocks of {half d; int8 qs[32]} (34 bytes per 32 elements, value
///   d · qs[i], GGML's Q8_0 block), so every head covers whole blocks: headDim % 32 == 0.
public enum KVCacheDType: String, Sendable, CaseIterable, CustomStringConvertible {
    case f32, f16, q8_0

    /// The C kernels' code (TERN_KV_*).
    var code: Int32 {
        switch self {
        case .f32: Int32(TERN_KV_F32)
        case .f16: Int32(TERN_KV_F16)
        case .q8_0: Int32(TERN_KV_Q8_0)
        }
    }

    /// Bytes of one cache row of `width` elements.
    public func rowBytes(_ width: Int) -> Int { Int(tern_kv_row_bytes(code, Int32(width))) }

    /// Whether a head of `headDim` elements can be stored this way (q8_0: whole 32-blocks).
    public func supports(headDim: Int) -> Bool { self != .q8_0 || headDim % 32 == 0 }

    public var description: String { rawValue }
}

extension KVCacheDType {
    /// Writes `count` floats as one cache row at `dst` (`rowBytes(count)` bytes).
    public func store(_ x: UnsafePointer<Float>, to dst: UnsafeMutableRawPointer, count: Int) {
        tern_kv_store(code, x, dst, Int32(count))
    }

    /// Reads elements `offset ..< offset + count` of the cache row at `src` as floats (for
    /// q8_0 both multiples of 32).
    public func load(_ src: UnsafeRawPointer, offset: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        tern_kv_load(code, src, Int32(offset), out, Int32(count))
    }
}
