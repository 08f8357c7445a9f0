import AttentionEngine
import Foundation

/// RoPE written from its definition (README "LongRoPE", "The positional stage"), sharing no
/// code with `RotaryEmbedding`: an oracle for the rotation and for what is built on it.
///
/// Pair i (0 ≤ i < ⌊d/2⌋) has frequency θ_i = base^(−2i/d) / λ_i and rotates dims (i, i + ⌊d/2⌋)
/// (half split, Llama/NeoX) or (2i, 2i + 1) (interleaved, GPT-J). At position p ≥ n̂
///
///     (x_a, x_b) ↦ (x_a·cos pθ_i − x_b·sin pθ_i, x_a·sin pθ_i + x_b·cos pθ_i) · attention factor
///
/// and an odd head dim's last dimension is only scaled by the attention factor. Positions
/// p < n̂ use the standard frequencies base^(−2i/d) and no attention factor.
struct ClosedFormRope {
    var headDim: Int
    var base: Double
    /// λ_i, one per pair.
    var factors: [Double]
    var attentionFactor: Double
    var nhat: Int
    var interleaved: Bool

    init(headDim: Int, base: Double, factors: [Double]? = nil, attentionFactor: Double = 1, nhat: Int = 0, interleaved: Bool) {
        self.headDim = headDim
        self.base = base
        self.factors = factors ?? [Double](repeating: 1, count: headDim / 2)
        self.attentionFactor = attentionFactor
        self.nhat = nhat
        self.interleaved = interleaved
    }

    var style: RopeSettings.Style { interleaved ? .interleaved : .half }

    /// base^(−2i/d): the unscaled frequency of pair i.
    func standardTheta(_ i: Int) -> Double { pow(base, -2 * Double(i) / Double(headDim)) }

    /// θ_i at position p: the standard one below n̂, else divided by λ_i.
    func theta(_ i: Int, at p: Int) -> Double { p < nhat ? standardTheta(i) : standardTheta(i) / factors[i] }

    /// The rotated row at position p, in Double.
    func rotate(_ x: [Float], at p: Int) -> [Double] {
        let d = headDim, g = p < nhat ? 1 : attentionFactor
        precondition(x.count == d)
        var y = x.map { Double($0) * g }  // covers an odd head dim's unrotated last dimension
        for i in 0..<d / 2 {
            let (a, b) = interleaved ? (2 * i, 2 * i + 1) : (i, i + d / 2)
            let angle = Double(p) * theta(i, at: p)
            let (xa, xb) = (Double(x[a]), Double(x[b]))
            y[a] = (xa * cos(angle) - xb * sin(angle)) * g
            y[b] = (xa * sin(angle) + xb * cos(angle)) * g
        }
        return y
    }

    /// Every row of every head rotated at its position (row r at position r), rounded to Float.
    func rotate(_ t: HeadTensor) -> HeadTensor {
        var out = t
        for h in 0..<t.heads {
            for r in 0..<t.seq {
                let o = t.offset(head: h, row: r)
                for (c, v) in rotate(Array(t.data[o..<o + t.dim]), at: r).enumerated() { out.data[o + c] = Float(v) }
            }
        }
        return out
    }
}
