import Kernels

/// How to load a model: compute threads and the matmul dispatch.
public struct LoadOptions: Sendable {
    /// Compute threads (nil: every online core).
    public var threads: Int?
    /// `.auto` picks GEMV or GEMM by rows; the forced paths hold the arithmetic fixed.
    public var matmulPath: MatmulPath
    /// With `.auto`, sequences of at least this many rows take GEMM (nil: the fixed crossover of each weight type, `Matmul.crossovers`).
    public var gemmMinRows: Int?

    public init(threads: Int? = nil, matmulPath: MatmulPath = .auto, gemmMinRows: Int? = nil) {
        self.threads = threads
        self.matmulPath = matmulPath
        self.gemmMinRows = gemmMinRows
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
