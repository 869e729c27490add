import Kernels

/// How to load a model: compute threads, the matmul dispatch and the KV cache's dtype.
public struct LoadOptions: Sendable {
    /// Compute threads (nil: every online core).
    public var threads: Int?
    /// `.auto` picks GEMV or GEMM by rows (GEMV only unless `gemmMinRows` is set); `.gemm` is for experiments.
    public var matmulPath: MatmulPath
    /// With `.auto`, sequences of at least this many rows take GEMM (nil: never for quantized weights, so that answers do not depend on batching; 32 for F32/F16/BF16 weights).
    public var gemmMinRows: Int?
    /// How the KV cache stores keys and values; nil is `auto`: f16 for a GGUF file with
    /// quantized weights, f32 for F32/F16/BF16 files and safetensors checkpoints.
    public var kvCacheDType: KVCacheDType?
    /// Run on this pool instead of a new one (`threads` is then ignored): a draft model shares
    /// its target's, since two pools' spinning workers would fight over the same cores.
    public var pool: ComputePool?

    public init(threads: Int? = nil, matmulPath: MatmulPath = .auto, gemmMinRows: Int? = nil, kvCacheDType: KVCacheDType? = nil,
                pool: ComputePool? = nil) {
        self.pool = pool
        self.threads = threads
        self.matmulPath = matmulPath
        self.gemmMinRows = gemmMinRows
        self.kvCacheDType = kvCacheDType
    }
}

extension LoadOptions {
    /// The text of `--kv-cache-dtype` (vLLM's flag): "auto" is nil, else f32, f16 or q8_0;
    /// anything else is a `badOption` that lists the choices.
    public static func kvCacheDType(parsing text: String) throws -> KVCacheDType? {
        if text == "auto" { return nil }
        guard let dtype = KVCacheDType(rawValue: text) else {
            throw LoaderError.badOption("--kv-cache-dtype must be one of auto, f32, f16, q8_0 (got '\(text)')")
        }
        return dtype
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Online cores (at least one).
public func systemCoreCount() -> Int {
    #if canImport(Glibc)
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
    return 2
    #endif
}
