/// The register-blocked SIMD matrix product of the engine's packed-operand kernels (the
/// emulated low-precision flash and dense kernels, whose operands are rounded copies that
/// are packed anyway, and Infini-attention's compressive-memory read σ(Q)·M and write
/// σ(K)ᵀ·U); the float32 online-softmax core uses `LaneBlockKernels` instead.
///
///     C[i][j] = Σ_p A[i][p] · B[p][j]          (accumulate: C[i][j] + Σ_p …)
///     i < m, j < n, p < k;  row-major, leading dims lda, ldb, ldc
///
/// Blocks of 4 rows × 16 columns keep their sums in 4 SIMD16 accumulators (8 ymm registers
/// with AVX2, no spills: DESIGN.md §3) across the whole k loop: A's entries are broadcast,
/// B's rows loaded 16 columns at a time. Each sum runs in index order p = 0, 1, … with one
/// fused multiply-add per term, starting from 0 (or from C), so a scalar model can follow
/// it bit for bit. `n` must be a multiple of 16 (callers zero-pad columns); m and k are
/// arbitrary (rows past the last block of 4 run one at a time).
enum MicroKernels {
    @inline(__always)
    static func multiply(a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                         c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, k: Int, n: Int, accumulate: Bool) {
        var i = 0
        while i + 4 <= m {
            let a0 = a + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
            var j = 0
            while j < n {
                let out = c + i * ldc + j
                var s0 = SIMD16<Float>.zero, s1 = s0, s2 = s0, s3 = s0
                if accumulate { (s0, s1, s2, s3) = (load(out), load(out + ldc), load(out + 2 * ldc), load(out + 3 * ldc)) }
                var row = b + j
                for p in 0..<k {
                    let x = load(row)
                    s0 = s0.addingProduct(SIMD16(repeating: a0[p]), x)
                    s1 = s1.addingProduct(SIMD16(repeating: a1[p]), x)
                    s2 = s2.addingProduct(SIMD16(repeating: a2[p]), x)
                    s3 = s3.addingProduct(SIMD16(repeating: a3[p]), x)
                    row += ldb
                }
                store(s0, out); store(s1, out + ldc); store(s2, out + 2 * ldc); store(s3, out + 3 * ldc)
                j += 16
            }
            i += 4
        }
        while i < m {
            let ai = a + i * lda
            var j = 0
            while j < n {
                let out = c + i * ldc + j
                var s = accumulate ? load(out) : .zero
                var row = b + j
                for p in 0..<k {
                    s = s.addingProduct(SIMD16(repeating: ai[p]), load(row))
                    row += ldb
                }
                store(s, out)
                j += 16
            }
            i += 1
        }
    }
}

@inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
@inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
@inline(__always) func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// Lane-wise max and min. Written as a compare and `replace` because that inlines to one
/// vmaxps/vminps, while the standard library's `pointwiseMax`/`pointwiseMin` run lane by lane.
@inline(__always) func lanewiseMax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    var x = a
    x.replace(with: b, where: b .> a)
    return x
}
@inline(__always) func lanewiseMin(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    var x = a
    x.replace(with: b, where: b .< a)
    return x
}
