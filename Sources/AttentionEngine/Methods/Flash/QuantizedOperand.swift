/// One of Q, K, V as the emulated low-precision kernel reads it: every value exactly
/// representable in the working format, plus the factor that turns a block of `blockRows`
/// rows back into real units.
///
///     x̂ = round_format(x·M · s),   s = 448 / amax   (fp8; s = 1 otherwise)
///     descale = 1 / s,             x ≈ x̂ · descale · Mᵀ
///
/// M is the incoherent transform when given (Q and K only), amax the largest |x·M| of the
/// block (FP8 block quantisation: one `tile` of rows of one head), of the whole tensor over
/// all heads (per-tensor scaling), and s = 1 when the block is all zeros. The scale is
/// taken in float32 and the product x·M·s rounded once to the format, as Transformer
/// Engine's cast does; its result saturates at ±448 (see `FloatFormat`).
struct QuantizedOperand: Sendable {
    /// [heads, seq, dim] values on the format's grid.
    let values: HeadTensor
    /// [heads, blocksPerHead] descale factors.
    let descales: [Float]
    let blockRows: Int
    let blocksPerHead: Int

    /// 2^126: the largest scale whose reciprocal is a normal float.
    static let largestScale = Float(sign: .plus, exponent: 126, significand: 1)

    @inline(__always)
    func descale(head: Int, row: Int) -> Float { descales[head * blocksPerHead + row / blockRows] }

    /// Quantises `tensor` to `format` with FP8 scaling at `granularity` (nil: no scales).
    init(_ tensor: HeadTensor, format: FloatFormat, granularity: FlashNumerics.Scaling?, blockRows: Int,
         transform: IncoherentTransform?, threads: Int) {
        let h = tensor.heads, n = tensor.seq, d = tensor.dim
        let blocks = (n + blockRows - 1) / blockRows
        var values = tensor
        var amax = [Float](repeating: 0, count: h * blocks)
        values.withSharedPointer { v in
        amax.withUnsafeMutableBufferPointer { ab in
            let a = SharedPointer(ab.baseAddress!)
            ParallelFor.run(count: h * blocks, threads: threads) { item in
                let rows = (item % blocks) * blockRows..<min((item % blocks + 1) * blockRows, n)
                let head = item / blocks
                var m: Float = 0
                for r in rows {
                    let row = v.base + (head * n + r) * d
                    transform?.apply(row)
                    for c in 0..<d { m = max(m, abs(row[c])) }
                }
                a.base[item] = m
            }
        }}
        // Scale factors s per block: 448/amax for fp8, 1 otherwise. Below amax ≈ 1.3e-36,
        // 448/amax overflows float32 (and 0·∞ would turn the block's zeros into NaN), so s
        // stops at 2^126, whose descale 2^−126 is still an exact normal float.
        var scales = [Float](repeating: 1, count: h * blocks)
        if let granularity {
            let tensorMax = amax.max() ?? 0
            for i in scales.indices {
                let m = granularity == .tensor ? tensorMax : amax[i]
                if m > 0 { scales[i] = min(format.maxFinite / m, Self.largestScale) }
            }
        }
        let finalScales = scales
        values.withSharedPointer { v in
            ParallelFor.run(count: h * blocks, threads: threads) { item in
                let rows = (item % blocks) * blockRows..<min((item % blocks + 1) * blockRows, n)
                let start = v.base + (item / blocks * n + rows.lowerBound) * d
                let s = finalScales[item]
                if s != 1 { for i in 0..<rows.count * d { start[i] *= s } }
                format.round(start, count: rows.count * d)
            }
        }
        self.values = values
        self.descales = finalScales.map { 1 / $0 }
        self.blockRows = blockRows
        self.blocksPerHead = blocks
    }
}
