/// Exact-diagonal attention for `QueryBlockAttention`: instead of key tiles every lane shares,
/// a "slot" is one diagonal at offset o, on which lane ℓ (query i = r + ℓ of the lane block
/// starting at row r) meets key i − o. Its 16 keys are consecutive, so with K and V in
/// `SlidingTransposedKeys` each dimension of a slot is one SIMD16 load, and the online
/// softmax (running max, exp, sum, rescale) is the same lane-wise step as for key tiles:
///
///     s_t[ℓ] = Σ_c Qᵀ[c][ℓ] · K[r + ℓ − o_t][c] + bias[r + ℓ − o_t]
///     Oᵀ[c][ℓ] ← Oᵀ[c][ℓ]·α[ℓ] + Σ_t P_t[ℓ] · V[r + ℓ − o_t][c]
///
/// `bias` is 0 for keys the slot may use and −∞ for the others (before key 0, past the
/// sequence, or owned by another part of the pattern), indexed by key + 16.
extension QueryBlockAttention {
    /// One online-softmax step of lane block `b` over the `count` (≤ `maxKeys`) diagonals
    /// `offsets` (each ≤ the lane block's last row), keys of kv head `kvHead` in `keys`.
    func attendDiagonals(laneBlock b: Int, offsets: UnsafePointer<Int32>, count: Int,
                         keys: SlidingTransposedKeys, kvHead: Int, bias: UnsafePointer<Float>) {
        precondition(count <= maxKeys)
        guard count > 0 else { return }
        let r = firstQuery + b * 16
        let starts = tilePositions
        for t in 0..<count { starts[t] = keys.offset(head: kvHead, firstKey: r - Int(offsets[t])) }
        let biasAt = bias + r + SlidingTransposedKeys.shift
        let q = UnsafePointer(qt + b * dim * 16)
        let mOld = load(m + b * 16)
        var mNew = mOld
        var t = 0
        while t < count {
            let u = LaneBlockKernels.group(from: t, count: count)
            let k = UnsafePointer(keys.k)
            var s = DiagonalLaneKernels.scores(qt: q, dim: dim, (k + starts[u.0], k + starts[u.1], k + starts[u.2],
                                                                k + starts[u.3], k + starts[u.4], k + starts[u.5]))
            s.0 += load(biasAt - Int(offsets[u.0])); s.1 += load(biasAt - Int(offsets[u.1]))
            s.2 += load(biasAt - Int(offsets[u.2])); s.3 += load(biasAt - Int(offsets[u.3]))
            s.4 += load(biasAt - Int(offsets[u.4])); s.5 += load(biasAt - Int(offsets[u.5]))
            keepScores(s, at: t, max: &mNew)
            t += LaneBlockKernels.width
        }
        let alpha = exponentiate(laneBlock: b, count: count, mOld: mOld, mNew: mNew)
        forEachColumnGroup(laneBlock: b) { o, cols in
            DiagonalLaneKernels.accumulate(ot: o, alpha: alpha, pt: pt, slots: count, values: keys.v, starts: starts, cols: cols)
        }
    }
}

/// The two products of `attendDiagonals`, six slots or six output dims per call, like
/// `LaneBlockKernels` but with each key dimension loaded as 16 lanes (one diagonal) instead
/// of broadcast: 6 accumulators + the shared vector = 14 ymm registers with AVX2. Six is
/// `LaneBlockKernels.width`, so both paths share the score tile and column groups.
enum DiagonalLaneKernels {
    /// s_t[ℓ] = Σ_c Qᵀ[c][ℓ] · slot_t[c][ℓ], slot rows `SlidingTransposedKeys.width` apart.
    @inline(__always)
    static func scores(qt: UnsafePointer<Float>, dim: Int, _ k: Six<UnsafePointer<Float>>) -> Six<SIMD16<Float>> {
        var a0 = SIMD16<Float>.zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
        let w = SlidingTransposedKeys.width
        for c in 0..<dim {
            let q = load(qt + c * 16), o = c * w
            a0 = a0.addingProduct(q, load(k.0 + o))
            a1 = a1.addingProduct(q, load(k.1 + o))
            a2 = a2.addingProduct(q, load(k.2 + o))
            a3 = a3.addingProduct(q, load(k.3 + o))
            a4 = a4.addingProduct(q, load(k.4 + o))
            a5 = a5.addingProduct(q, load(k.5 + o))
        }
        return (a0, a1, a2, a3, a4, a5)
    }

    /// Oᵀ[c_r][ℓ] = Oᵀ[c_r][ℓ]·α[ℓ] + Σ_t Pᵀ[t][ℓ] · V_t[c_r][ℓ] for six output dims c_r,
    /// slot t's values at `values + starts[t]`.
    @inline(__always)
    static func accumulate(ot: UnsafeMutablePointer<Float>, alpha: SIMD16<Float>, pt: UnsafePointer<Float>, slots: Int,
                           values: UnsafePointer<Float>, starts: UnsafePointer<Int>, cols: Six<Int>) {
        let w = SlidingTransposedKeys.width
        let o = (cols.0 * w, cols.1 * w, cols.2 * w, cols.3 * w, cols.4 * w, cols.5 * w)
        var a0 = load(ot) * alpha, a1 = load(ot + 16) * alpha, a2 = load(ot + 32) * alpha
        var a3 = load(ot + 48) * alpha, a4 = load(ot + 64) * alpha, a5 = load(ot + 80) * alpha
        for t in 0..<slots {
            let p = load(pt + t * 16), v = values + starts[t]
            a0 = a0.addingProduct(p, load(v + o.0))
            a1 = a1.addingProduct(p, load(v + o.1))
            a2 = a2.addingProduct(p, load(v + o.2))
            a3 = a3.addingProduct(p, load(v + o.3))
            a4 = a4.addingProduct(p, load(v + o.4))
            a5 = a5.addingProduct(p, load(v + o.5))
        }
        store(a0, ot); store(a1, ot + 16); store(a2, ot + 32)
        store(a3, ot + 48); store(a4, ot + 64); store(a5, ot + 80)
    }
}
