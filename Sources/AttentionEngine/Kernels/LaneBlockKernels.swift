/// Register-blocked SIMD micro-kernels for `QueryBlockAttention`'s two products, with 16 query
/// rows in the lanes of a SIMD16 ("lane block") and 6 keys or 6 output dims per call:
/// 6 SIMD16 accumulators = 12 ymm registers with AVX2, plus 2 for the loaded lane vector
/// and 1 for the broadcast: 15 of the 16 ymm registers, no spills. Twelve independent
/// FMA chains cover the FMA latency (4 cycles × 2 per cycle on Zen 4) with room to spare.
/// Keys and values are read in place, one scalar broadcast at a time, so nothing is packed
/// per key tile; only the queries are transposed, once per block.
enum LaneBlockKernels {
    /// Keys per `scores` call and output dims per `accumulate` call.
    static let width = 6

    /// Indices j … j+5 of a group of six, the ones at or past `count` replaced by count − 1
    /// (a short last group repeats its last member).
    @inline(__always)
    static func group(from j: Int, count: Int) -> Six<Int> {
        let last = count - 1
        return (j, min(j + 1, last), min(j + 2, last), min(j + 3, last), min(j + 4, last), min(j + 5, last))
    }

    /// Scores of 6 keys against one lane block:
    ///
    ///     s_r[lane] = Σ_c K_r[c] · Qᵀ[c][lane],   r = 0…5,  c = 0 ..< dim
    ///
    /// `qt` is the lane block's transposed queries, `dim` rows of 16 floats; `k` holds the
    /// 6 key rows (a caller short of keys repeats one).
    @inline(__always)
    static func scores(qt: UnsafePointer<Float>, dim: Int, _ k: Six<UnsafePointer<Float>>) -> Six<SIMD16<Float>> {
        var a0 = SIMD16<Float>.zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
        var q = qt
        for c in 0..<dim {
            let b = load(q)
            a0 = a0.addingProduct(SIMD16(repeating: k.0[c]), b)
            a1 = a1.addingProduct(SIMD16(repeating: k.1[c]), b)
            a2 = a2.addingProduct(SIMD16(repeating: k.2[c]), b)
            a3 = a3.addingProduct(SIMD16(repeating: k.3[c]), b)
            a4 = a4.addingProduct(SIMD16(repeating: k.4[c]), b)
            a5 = a5.addingProduct(SIMD16(repeating: k.5[c]), b)
            q += 16
        }
        return (a0, a1, a2, a3, a4, a5)
    }

    /// Rescales and accumulates 6 output dims of one lane block over `keys` keys:
    ///
    ///     Oᵀ[c_r][lane] = Oᵀ[c_r][lane] · α[lane] + Σ_j V_j[c_r] · Pᵀ[j][lane]
    ///
    /// `ot` points at Oᵀ row c_0 (rows of 16 floats, c_r = c_0 + r), `pt` at Pᵀ (`keys`
    /// rows of 16), `v` at value row 0 (stride `ldv`), `cols` at the 6 column offsets to read.
    @inline(__always)
    static func accumulate(ot: UnsafeMutablePointer<Float>, alpha: SIMD16<Float>,
                           pt: UnsafePointer<Float>, keys: Int,
                           v: UnsafePointer<Float>, ldv: Int, cols: Six<Int>) {
        var a0 = load(ot) * alpha, a1 = load(ot + 16) * alpha, a2 = load(ot + 32) * alpha
        var a3 = load(ot + 48) * alpha, a4 = load(ot + 64) * alpha, a5 = load(ot + 80) * alpha
        var vr = v, p = pt
        for _ in 0..<keys {
            let b = load(p)
            a0 = a0.addingProduct(SIMD16(repeating: vr[cols.0]), b)
            a1 = a1.addingProduct(SIMD16(repeating: vr[cols.1]), b)
            a2 = a2.addingProduct(SIMD16(repeating: vr[cols.2]), b)
            a3 = a3.addingProduct(SIMD16(repeating: vr[cols.3]), b)
            a4 = a4.addingProduct(SIMD16(repeating: vr[cols.4]), b)
            a5 = a5.addingProduct(SIMD16(repeating: vr[cols.5]), b)
            vr += ldv
            p += 16
        }
        store(a0, ot); store(a1, ot + 16); store(a2, ot + 32)
        store(a3, ot + 48); store(a4, ot + 64); store(a5, ot + 80)
    }
}

/// Six values of one type: the rows of a micro-kernel call.
typealias Six<T> = (T, T, T, T, T, T)
