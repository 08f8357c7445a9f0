/// Register-blocked SIMD micro-kernels for the two products of attention, with 16 query
/// rows in the lanes of a SIMD16 ("lane block") and 4 keys or 4 output dims per call:
/// 4 SIMD16 accumulators = 8 ymm registers with AVX2, which holds without spilling
/// (DESIGN.md §3). Keys and values are read in place, one scalar broadcast at a time, so
/// nothing is packed per key tile; only the queries are transposed, once per block.
enum MicroKernels {
    /// Scores of 4 keys against one lane block:
    ///
    ///     s_r[lane] = Σ_c K_r[c] · Qᵀ[c][lane],   r = 0…3,  c = 0 ..< dim
    ///
    /// `qt` is the lane block's transposed queries, `dim` rows of 16 floats; `k0…k3` point
    /// at key rows (a caller short of 4 keys repeats one).
    @inline(__always)
    static func scores(qt: UnsafePointer<Float>, dim: Int,
                       _ k0: UnsafePointer<Float>, _ k1: UnsafePointer<Float>,
                       _ k2: UnsafePointer<Float>, _ k3: UnsafePointer<Float>)
        -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        var a0 = SIMD16<Float>.zero, a1 = a0, a2 = a0, a3 = a0
        var q = qt
        for c in 0..<dim {
            let b = load(q)
            a0 = a0.addingProduct(SIMD16(repeating: k0[c]), b)
            a1 = a1.addingProduct(SIMD16(repeating: k1[c]), b)
            a2 = a2.addingProduct(SIMD16(repeating: k2[c]), b)
            a3 = a3.addingProduct(SIMD16(repeating: k3[c]), b)
            q += 16
        }
        return (a0, a1, a2, a3)
    }

    /// Rescales and accumulates 4 output dims of one lane block over `keys` keys:
    ///
    ///     Oᵀ[c_r][lane] = Oᵀ[c_r][lane] · α[lane] + Σ_j V_j[c_r] · Pᵀ[j][lane]
    ///
    /// `ot` points at Oᵀ row c_0 (rows of 16 floats, c_r = c_0 + r), `pt` at Pᵀ (`keys`
    /// rows of 16), `v` at value row 0 (stride `ldv`), `cols` at the 4 column offsets to read.
    @inline(__always)
    static func accumulate(ot: UnsafeMutablePointer<Float>, alpha: SIMD16<Float>,
                           pt: UnsafePointer<Float>, keys: Int,
                           v: UnsafePointer<Float>, ldv: Int, cols: (Int, Int, Int, Int)) {
        var a0 = load(ot) * alpha, a1 = load(ot + 16) * alpha
        var a2 = load(ot + 32) * alpha, a3 = load(ot + 48) * alpha
        var vr = v, p = pt
        for _ in 0..<keys {
            let b = load(p)
            a0 = a0.addingProduct(SIMD16(repeating: vr[cols.0]), b)
            a1 = a1.addingProduct(SIMD16(repeating: vr[cols.1]), b)
            a2 = a2.addingProduct(SIMD16(repeating: vr[cols.2]), b)
            a3 = a3.addingProduct(SIMD16(repeating: vr[cols.3]), b)
            vr += ldv
            p += 16
        }
        store(a0, ot); store(a1, ot + 16); store(a2, ot + 32); store(a3, ot + 48)
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
