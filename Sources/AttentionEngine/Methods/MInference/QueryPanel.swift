/// Scores of up to 64 query rows against a run of keys, for index estimation:
///
///     s[j][r] = scale · (q_r · k_j)        laid out key-major, 64 lanes per key
///
/// The query rows sit in SIMD lanes: the panel is stored transposed, qᵀ[c][r], and each
/// key row is read once and broadcast against it, so one FMA makes 16 (row, key) products
/// and two keys in flight keep 8 accumulators busy. Unused lanes hold zero queries.
/// Masking (causal corner, unused lanes) is the caller's business.
struct QueryPanel {
    static let lanes = 64
    let dim: Int
    /// [dim][64], row r of the panel in lane r, pre-multiplied by `scale`.
    private(set) var transposed: [Float]

    init(queries: UnsafePointer<Float>, rows: Int, dim: Int, scale: Float) {
        precondition(rows <= QueryPanel.lanes)
        self.dim = dim
        var t = [Float](repeating: 0, count: dim * QueryPanel.lanes)
        for r in 0..<rows {
            for c in 0..<dim { t[c * QueryPanel.lanes + r] = queries[r * dim + c] * scale }
        }
        transposed = t
    }

    /// Writes `count` keys' scores, 64 floats per key, to `out`.
    func scores(keys: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>) {
        let d = dim
        transposed.withUnsafeBufferPointer { tb in
            let t = tb.baseAddress!
            var j = 0
            while j + 1 < count {
                let k0 = keys + j * d, k1 = k0 + d
                var a0 = SIMD16<Float>.zero, a1 = a0, a2 = a0, a3 = a0
                var b0 = a0, b1 = a0, b2 = a0, b3 = a0
                for c in 0..<d {
                    let p = t + c * QueryPanel.lanes
                    let q0 = load(p), q1 = load(p + 16), q2 = load(p + 32), q3 = load(p + 48)
                    let x = SIMD16<Float>(repeating: k0[c]), y = SIMD16<Float>(repeating: k1[c])
                    a0 = a0.addingProduct(q0, x); a1 = a1.addingProduct(q1, x)
                    a2 = a2.addingProduct(q2, x); a3 = a3.addingProduct(q3, x)
                    b0 = b0.addingProduct(q0, y); b1 = b1.addingProduct(q1, y)
                    b2 = b2.addingProduct(q2, y); b3 = b3.addingProduct(q3, y)
                }
                let o = out + j * QueryPanel.lanes
                store(a0, o); store(a1, o + 16); store(a2, o + 32); store(a3, o + 48)
                store(b0, o + 64); store(b1, o + 80); store(b2, o + 96); store(b3, o + 112)
                j += 2
            }
            if j < count {
                let k0 = keys + j * d
                var a0 = SIMD16<Float>.zero, a1 = a0, a2 = a0, a3 = a0
                for c in 0..<d {
                    let p = t + c * QueryPanel.lanes
                    let x = SIMD16<Float>(repeating: k0[c])
                    a0 = a0.addingProduct(load(p), x); a1 = a1.addingProduct(load(p + 16), x)
                    a2 = a2.addingProduct(load(p + 32), x); a3 = a3.addingProduct(load(p + 48), x)
                }
                let o = out + j * QueryPanel.lanes
                store(a0, o); store(a1, o + 16); store(a2, o + 32); store(a3, o + 48)
            }
        }
    }
}
