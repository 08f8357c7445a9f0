/// Register-blocked SIMD micro-kernels for the two products of attention on packed tiles
/// (Kᵀ packed per key tile, query rows broadcast), used by the emulated low-precision
/// kernels, whose operands are rounded copies anyway; the float32 core uses
/// `LaneBlockKernels`. Blocks of 4 query rows × 16 columns keep 4 SIMD16 accumulators
/// (8 ymm registers with AVX2), which holds without spilling (DESIGN.md §3). All sizes are
/// padded by the caller: rows to 4, columns and head dims to 16.
enum MicroKernels {
    /// S[rows][width] = Q[rows][dPad] · Kt[dPad][width]  (Kt is Kᵀ, leading dim ldk).
    @inline(__always)
    static func scores(q: UnsafePointer<Float>, kt: UnsafePointer<Float>, s: UnsafeMutablePointer<Float>,
                       rows: Int, dPad: Int, width: Int, ldk: Int, lds: Int) {
        var i = 0
        while i < rows {
            let q0 = q + i * dPad, q1 = q0 + dPad, q2 = q1 + dPad, q3 = q2 + dPad
            var c = 0
            while c < width {
                var a0 = SIMD16<Float>.zero, a1 = a0, a2 = a0, a3 = a0
                for k in 0..<dPad {
                    let b = load(kt + k * ldk + c)
                    a0 = a0.addingProduct(SIMD16(repeating: q0[k]), b)
                    a1 = a1.addingProduct(SIMD16(repeating: q1[k]), b)
                    a2 = a2.addingProduct(SIMD16(repeating: q2[k]), b)
                    a3 = a3.addingProduct(SIMD16(repeating: q3[k]), b)
                }
                let out = s + i * lds + c
                store(a0, out); store(a1, out + lds); store(a2, out + 2 * lds); store(a3, out + 3 * lds)
                c += 16
            }
            i += 4
        }
    }

    /// O[rows][dPad] += P[rows][keys] · V[keys][dPad]  (V rows at stride ldv ≥ dPad's used part).
    @inline(__always)
    static func accumulate(p: UnsafePointer<Float>, v: UnsafePointer<Float>, o: UnsafeMutablePointer<Float>,
                           rows: Int, dPad: Int, keys: Int, ldp: Int, ldv: Int) {
        var i = 0
        while i < rows {
            let p0 = p + i * ldp, p1 = p0 + ldp, p2 = p1 + ldp, p3 = p2 + ldp
            var c = 0
            while c < dPad {
                let out = o + i * dPad + c
                var a0 = load(out), a1 = load(out + dPad), a2 = load(out + 2 * dPad), a3 = load(out + 3 * dPad)
                for j in 0..<keys {
                    let b = load(v + j * ldv + c)
                    a0 = a0.addingProduct(SIMD16(repeating: p0[j]), b)
                    a1 = a1.addingProduct(SIMD16(repeating: p1[j]), b)
                    a2 = a2.addingProduct(SIMD16(repeating: p2[j]), b)
                    a3 = a3.addingProduct(SIMD16(repeating: p3[j]), b)
                }
                store(a0, out); store(a1, out + dPad); store(a2, out + 2 * dPad); store(a3, out + 3 * dPad)
                c += 16
            }
            i += 4
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
