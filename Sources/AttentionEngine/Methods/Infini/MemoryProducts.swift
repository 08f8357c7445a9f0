/// The dense products of the compressive-memory path, float32 SIMD:
///
///     C[m×n] += A[m×k] · B[k×n]        row-major, leading dimensions lda, ldb, ldc
///
/// used for the memory read σ(Q)·M (m = query rows, k = d, n = d) and the memory write
/// σ(K)ᵀ·U (m = rows of M, k = segment keys, n = d). `n` must be a multiple of 16 (the
/// memory's buffers are zero-padded to it); `m` and `k` are arbitrary. Blocks of 4 rows ×
/// 16 columns keep their sums in registers across the whole k loop.
enum MemoryProducts {
    static func multiplyAdd(a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int, n: Int) {
        var i = 0
        while i + 4 <= m {
            let a0 = a + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
            var j = 0
            while j < n {
                let out = c + i * ldc + j
                var s0 = load(out), s1 = load(out + ldc), s2 = load(out + 2 * ldc), s3 = load(out + 3 * ldc)
                var bp = b + j
                for p in 0..<k {
                    let row = load(bp)
                    s0 = s0.addingProduct(SIMD16(repeating: a0[p]), row)
                    s1 = s1.addingProduct(SIMD16(repeating: a1[p]), row)
                    s2 = s2.addingProduct(SIMD16(repeating: a2[p]), row)
                    s3 = s3.addingProduct(SIMD16(repeating: a3[p]), row)
                    bp += ldb
                }
                store(s0, out); store(s1, out + ldc); store(s2, out + 2 * ldc); store(s3, out + 3 * ldc)
                j += 16
            }
            i += 4
        }
        while i < m {
            let ar = a + i * lda
            var j = 0
            while j < n {
                let out = c + i * ldc + j
                var s = load(out)
                var bp = b + j
                for p in 0..<k {
                    s = s.addingProduct(SIMD16(repeating: ar[p]), load(bp))
                    bp += ldb
                }
                store(s, out)
                j += 16
            }
            i += 1
        }
    }
}
