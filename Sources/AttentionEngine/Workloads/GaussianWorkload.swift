/// iid N(0,1) entries, optionally plus N(0, 100)·Bernoulli(p) outliers per entry
/// (FlashAttention-3 §4.3 uses p = 0.001 to stress low-precision formats).
public struct GaussianWorkload: WorkloadGenerator {
    public var outlierProbability: Double

    public func fill(_ which: QKV, head: Int, rows: Range<Int>, shape: AttentionShape, seed: UInt64,
                     into out: UnsafeMutablePointer<Float>) {
        let d = shape.headDim
        for (i, row) in rows.enumerated() {
            var rng = SeededGenerator(seed: seed, stream: which.rawValue, UInt64(head), UInt64(row))
            for j in 0..<d {
                var x = rng.normal()
                if outlierProbability > 0, rng.uniform() < outlierProbability { x += 10 * rng.normal() }
                out[i * d + j] = Float(x)
            }
        }
    }
}
