import CBLAS

extension Kernels {
    /// `C[m, n] = A[m, k] · B` (B `[k, n]`, or `[n, k]` when `transposeB`) on row-major blocks at
    /// element offsets with leading dimensions; C is overwritten. The one matrix product the
    /// attention kernels (unfused and fused) share.
    static func gemm(
        _ a: [Float], offset aOffset: Int, ld lda: Int,
        _ b: [Float], offset bOffset: Int, ld ldb: Int, transposeB: Bool,
        into c: inout [Float], offset cOffset: Int, ld ldc: Int,
        m: Int, n: Int, k: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for row in 0..<m { for col in 0..<n { c[cOffset + row * ldc + col] = 0 } }
            return
        }
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k),
                                1, ap.baseAddress! + aOffset, Int32(lda), bp.baseAddress! + bOffset, Int32(ldb),
                                0, cp.baseAddress! + cOffset, Int32(ldc))
                }
            }
        }
    }
}
