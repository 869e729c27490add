import CBLAS

/// The one place Tern talks to OpenBLAS.
public enum BLAS {
    private static let configured: Void = { openblas_set_num_threads(1) }()

    /// Keep OpenBLAS on the calling thread: parallelism comes from `ComputePool`.
    public static func configure() { _ = configured }

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
