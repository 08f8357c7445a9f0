/// The online-softmax tile loop of FlashAttention-3 with its low-precision numerics
/// emulated: operands arrive already on the working format's grid (`QuantizedOperand`),
/// the two products accumulate in float32 (the SIMD micro-kernels; a product of two
/// bf16/fp16/e4m3 values is exact in float32, so only the accumulation rounds), and every
/// value the GPU kernel would store in a narrower format is rounded here at the same place.
///
/// For each key tile, with σ = (1/√d)·descale_Q·descale_K and r_f(·) rounding to format f
/// (the identity for float32), f_s the softmax format, f_w the working format:
///
///     S  = r_fs(σ · Q̂·K̂ᵀ)                         scores; masked entries −∞
///     m' = max(m, rowmax S)
///     P  = r_fs(exp(r_fs(S − m')))                 ℓ  ← r_fs(ℓ·α + rowsum P),  α = r_fs(exp(r_fs(m − m')))
///     P̂  = r_fw(P)   (fp8: r_e4m3(P·2⁸)·2⁻⁸)         O  ← O·α + descale_V · (P̂·V̂)   (float32)
///
/// and at the end r_out(O · (1/ℓ)). Tiles are the same as the float32 kernel's: rows padded
/// to 4, keys and head dims to 16, padding zero so it never reaches the output.
final class QuantizedQueryBlock {
    let dim: Int
    let dPad: Int
    let rowsPad: Int
    let keysPad: Int
    let numerics: FlashNumerics
    private let operandFormat: FloatFormat
    private let softmaxFormat: FloatFormat
    private let outputFormat: FloatFormat
    /// One allocation holding every scratch array below, in this order.
    private let slab: UnsafeMutablePointer<Float>
    private let slabCount: Int
    private let q: UnsafeMutablePointer<Float>     // [rowsPad][dPad] quantised queries
    private let kt: UnsafeMutablePointer<Float>    // [dPad][keysPad] one key tile, transposed
    private let vt: UnsafeMutablePointer<Float>    // [keysPad][dPad] one value tile, padded
    private let s: UnsafeMutablePointer<Float>     // [rowsPad][keysPad] scores, then P̂
    private let t: UnsafeMutablePointer<Float>     // [rowsPad][dPad] this tile's P̂·V̂
    private let o: UnsafeMutablePointer<Float>     // [rowsPad][dPad] accumulator
    private let m: UnsafeMutablePointer<Float>     // [rowsPad] running max
    private let l: UnsafeMutablePointer<Float>     // [rowsPad] running sum
    private var valid: [Int]                       // allowed keys of the current tile, a prefix per row
    private(set) var rows = 0
    private var firstQuery = 0
    private var queryDescale: Float = 1

    init(dim: Int, maxRows: Int, maxKeys: Int, numerics: FlashNumerics) {
        self.dim = dim
        self.numerics = numerics
        operandFormat = numerics.operandFormat
        softmaxFormat = numerics.softmaxFormat
        outputFormat = numerics.outputFormat
        dPad = (dim + 15) / 16 * 16
        rowsPad = (maxRows + 3) / 4 * 4
        keysPad = (maxKeys + 15) / 16 * 16
        let sizes = [rowsPad * dPad, dPad * keysPad, keysPad * dPad, rowsPad * keysPad, rowsPad * dPad, rowsPad * dPad, rowsPad, rowsPad]
        slabCount = sizes.reduce(0, +)
        slab = .allocate(capacity: slabCount)
        slab.initialize(repeating: 0, count: slabCount)
        var next = slab
        let parts: [UnsafeMutablePointer<Float>] = sizes.map { size in defer { next += size }; return next }
        (q, kt, vt, s, t, o, m, l) = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6], parts[7])
        valid = [Int](repeating: 0, count: rowsPad)
    }

    deinit { slab.deallocate() }

    /// Bytes of scratch one instance holds (for `memory_bytes`).
    var scratchBytes: Int { 4 * slabCount + 8 * rowsPad }

    /// Starts a block of `rows` quantised query rows (stride `dim`) at `firstPosition`,
    /// whose values are multiplied by `descale` to get real units.
    func begin(queries: UnsafePointer<Float>, rows: Int, firstPosition: Int, descale: Float) {
        self.rows = rows
        firstQuery = firstPosition
        queryDescale = descale
        // Fresh accumulators; query rows copied in, padding rows and columns left zero.
        o.update(repeating: 0, count: rowsPad * dPad)
        l.update(repeating: 0, count: rowsPad)
        m.update(repeating: -.infinity, count: rowsPad)
        q.update(repeating: 0, count: rowsPad * dPad)
        for i in 0..<rows { (q + i * dPad).update(from: queries + i * dim, count: dim) }
    }

    /// Attends to keys `firstKey ..< firstKey + count` (quantised rows of `keys`/`values`,
    /// stride `dim`) whose descale factors are `keyDescale`, `valueDescale`. Returns the
    /// entries the mask allows.
    func attend(keys: UnsafePointer<Float>, values: UnsafePointer<Float>, firstKey: Int, count: Int, causal: Bool,
                keyDescale: Float, valueDescale: Float) -> Int {
        var entries = 0, widest = 0
        for i in 0..<rowsPad {
            valid[i] = i >= rows ? 0 : (causal ? min(max(firstQuery + i - firstKey + 1, 0), count) : count)
            entries += valid[i]
            widest = max(widest, valid[i])
        }
        if widest == 0 { return 0 }
        let width = (widest + 15) / 16 * 16
        for j in 0..<widest {
            for c in 0..<dim { kt[c * keysPad + j] = keys[j * dim + c] }
            for c in 0..<dim { vt[j * dPad + c] = values[j * dim + c] }
        }
        if widest < width { for c in 0..<dim { for j in widest..<width { kt[c * keysPad + j] = 0 } } }
        // S = Q̂·K̂ᵀ, float32 accumulation.
        MicroKernels.multiply(a: q, lda: dPad, b: kt, ldb: keysPad, c: s, ldc: keysPad, m: rowsPad, k: dPad, n: width, accumulate: false)
        // σ: FA3 folds the Q and K descales into the softmax scale.
        let sigma = (1 / Float(dim).squareRoot()) * (queryDescale * keyDescale)
        softmaxStep(width: width, sigma: sigma)
        // T = P̂·V̂ for this tile, float32 accumulation from zero; O ← O + descale_V·T.
        MicroKernels.multiply(a: s, lda: keysPad, b: vt, ldb: dPad, c: t, ldc: dPad, m: rowsPad, k: widest, n: dPad, accumulate: false)
        let vd = SIMD16<Float>(repeating: valueDescale)
        for i in 0..<rows where valid[i] > 0 {
            for c in stride(from: 0, to: dPad, by: 16) {
                store(load(o + i * dPad + c).addingProduct(load(t + i * dPad + c), vd), o + i * dPad + c)
            }
        }
        return entries
    }

    /// Row i's scores → probabilities against the updated running max, with the rounding
    /// places of the chosen numerics; rescales O's row by α. Masked columns become 0.
    private func softmaxStep(width: Int, sigma: Float) {
        let sigmaV = SIMD16<Float>(repeating: sigma)
        let fp8 = numerics.precision == .fp8
        // Rows with no allowed key in this tile keep their state; their P̂·V̂ row is never added.
        for i in 0..<rows where valid[i] > 0 {
            let v = valid[i], row = s + i * keysPad
            // Scaled scores, held in the softmax format; masked lanes −∞.
            var mx = SIMD16<Float>(repeating: -.infinity)
            var j = 0
            while j < width {
                let x = maskingLanes(softmaxFormat.round(load(row + j) * sigmaV), from: v - j, with: -.infinity)
                store(x, row + j)
                mx = lanewiseMax(mx, x)
                j += 16
            }
            let mNew = max(m[i], mx.max())
            let alpha = m[i] == -.infinity ? 0 : softmaxFormat.round(fastExp(softmaxFormat.round(m[i] - mNew)))
            var sum = SIMD16<Float>.zero
            j = 0
            while j < width {
                // exp(−∞) = 0 for masked lanes (fastExp flushes below −87.3 to 0).
                let p = softmaxFormat.round(fastExp(softmaxFormat.round(load(row + j) - mNew)))
                sum += p
                // P̂ for the P·V product; the row sum above uses the unrounded P, as FA3 does.
                store(fp8 ? operandFormat.round(p * 256) * (1 / 256) : operandFormat.round(p), row + j)
                j += 16
            }
            l[i] = softmaxFormat.round(l[i] * alpha + sum.sum())
            m[i] = mNew
            if alpha != 1 {
                let a = SIMD16<Float>(repeating: alpha)
                let orow = o + i * dPad
                for c in stride(from: 0, to: dPad, by: 16) { store(load(orow + c) * a, orow + c) }
            }
        }
    }

    /// Writes r_out(O · (1/ℓ)) for the block's rows (stride `dim`). Rows that saw no key get zeros.
    func finish(into out: UnsafeMutablePointer<Float>) {
        for i in 0..<rows {
            let inv = l[i] > 0 ? 1 / l[i] : 0
            for c in 0..<dim { out[i * dim + c] = o[i * dPad + c] * inv }
        }
        outputFormat.round(out, count: rows * dim)
    }
}
