import COpenBLAS

/// The one place the engine calls CBLAS. Lengths are checked by the callers' shapes;
/// this wrapper only fixes the layout (row-major) and names the arguments.
public enum BLAS {
    /// C(m×n) = alpha · op(A)(m×k) · op(B)(k×n) + beta · C, all row-major.
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        // SAFETY: callers pass pointers to buffers of at least m*lda / k*ldb / m*ldc floats
        // (or the transposed extents), derived from the same shapes as m, n, k.
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                    beta, c, blasint(ldc))
    }

    /// Threads OpenBLAS may use. The engine sets 1: its `ThreadPool` splits every GEMM
    /// into one part per core itself, so OpenBLAS's own pool would only oversubscribe them.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }
}
