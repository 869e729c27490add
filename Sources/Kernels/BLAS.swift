import CBLAS
import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// The one place Tern talks to OpenBLAS.
public enum BLAS {
    private static let configured: Void = { openblas_set_num_threads(1) }()

    /// Keep OpenBLAS on the calling thread: parallelism comes from `ComputePool`.
    public static func configure() { _ = configured }

    /// The kernel family OpenBLAS chose at load ("Haswell", "SkylakeX", …).
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// OpenBLAS picks its kernels when the library loads, and the Debian build does not know
    /// recent AVX-512 CPUs (Zen 4/5), so it runs them with its AVX2 "Haswell"/"Zen" kernels at
    /// about two thirds of the speed. When that happened, re-executes the process with
    /// OPENBLAS_CORETYPE=SKYLAKEX (only if the variable is unset, so at most once). Call first
    /// thing in `main`.
    public static func reexecWithAVX512KernelsIfNeeded() {
        guard getenv("OPENBLAS_CORETYPE") == nil, tern_cpu_has_avx512() != 0,
              ["haswell", "zen", "sandybridge", "prescott"].contains(coreName.lowercased()) else { return }
        setenv("OPENBLAS_CORETYPE", "SKYLAKEX", 1)
        var args = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &args)
        // If exec fails, carry on with the kernels already loaded.
    }

    /// C (m, n) = A (m, k) · B(n, k)ᵀ, all row-major; C rows are `ldc` floats apart.
    public static func gemmABt(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                               b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                               beta: Float = 0) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C (m, n) = A (m, k) · B (k, n), all row-major with leading dimensions.
    public static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }
}
