import Foundation

/// Rotary position embedding with explicit inverse frequencies, so every scaling (PI, NTK,
/// YaRN, LongRoPE) is just a different `invFreq` and `attentionFactor`.
///
///     angle(p, i) = p · invFreq[i],      i = 0 ..< d/2
///     (x_a, x_b) ↦ (x_a·cos − x_b·sin, x_a·sin + x_b·cos) · attentionFactor
///
/// with the pair (a, b) = (i, i + d/2) for `half` style and (2i, 2i+1) for `interleaved`.
/// Angles and their cos/sin are computed in Double per position (no recurrence), so
/// position 1,000,000 is as accurate as position 1. An odd head dim leaves its last
/// dimension unrotated (but still scaled by the attention factor).
///
/// LongRoPE's n̂: positions below `prefixPositions` are rotated with `prefixInvFreq` (the
/// model's standard frequencies) and no attention factor, exactly as the LongRoPE
/// repository's start-token embedding copies the original cos/sin for the first n̂ positions.
public struct RotaryEmbedding: Sendable, Equatable {
    public var invFreq: [Double]
    public var attentionFactor: Double
    public var style: RopeSettings.Style
    /// n̂: how many leading positions keep the unscaled rotation.
    public var prefixPositions: Int
    /// The frequencies of those leading positions (standard RoPE); empty when n̂ = 0.
    public var prefixInvFreq: [Double]

    public init(invFreq: [Double], attentionFactor: Double = 1, style: RopeSettings.Style = .half,
                prefixPositions: Int = 0, prefixInvFreq: [Double] = []) {
        self.invFreq = invFreq
        self.attentionFactor = attentionFactor
        self.style = style
        self.prefixPositions = prefixInvFreq.count == invFreq.count ? prefixPositions : 0
        self.prefixInvFreq = prefixInvFreq
    }

    /// Standard RoPE: invFreq[i] = base^(−2i/d).
    public static func standardInvFreq(headDim: Int, base: Double) -> [Double] {
        (0..<headDim / 2).map { 1 / pow(base, Double(2 * $0) / Double(headDim)) }
    }

    public init(standard settings: RopeSettings, headDim: Int) {
        self.init(invFreq: RotaryEmbedding.standardInvFreq(headDim: headDim, base: settings.base), style: settings.style)
    }

    /// The rotation angle of pair `i` at position `p`.
    @inline(__always)
    public func angle(position p: Int, pair i: Int) -> Double {
        Double(p) * (p < prefixPositions ? prefixInvFreq[i] : invFreq[i])
    }

    /// The factor cos and sin are multiplied by at position `p`.
    @inline(__always)
    public func gain(position p: Int) -> Double { p < prefixPositions ? 1 : attentionFactor }

    /// The two dimensions pair `i` rotates, for a head of `dim` dimensions.
    @inline(__always)
    public func dimensions(pair i: Int, dim: Int) -> (a: Int, b: Int) {
        style == .half ? (i, i + dim / 2) : (2 * i, 2 * i + 1)
    }

    /// Rotates rows `firstPosition ..< firstPosition + rows` of one head in place.
    public func rotate(_ x: UnsafeMutablePointer<Float>, rows: Int, dim: Int, firstPosition: Int) {
        let pairs = invFreq.count
        precondition(2 * pairs <= dim, "RoPE has more frequencies than the head dim allows")
        for r in 0..<rows {
            let p = firstPosition + r
            let scale = gain(position: p)
            let row = x + r * dim
            for i in 0..<pairs {
                let (a, b) = dimensions(pair: i, dim: dim)
                let theta = angle(position: p, pair: i)
                let c = cos(theta) * scale, s = sin(theta) * scale
                let xa = Double(row[a]), xb = Double(row[b])
                row[a] = Float(xa * c - xb * s)
                row[b] = Float(xa * s + xb * c)
            }
            if scale != 1, dim % 2 == 1 { row[dim - 1] = Float(Double(row[dim - 1]) * scale) }
        }
    }

    /// A rotated copy of a whole tensor at positions 0 ..< seq, heads and row blocks in parallel.
    public func rotated(_ t: HeadTensor, threads: Int) -> HeadTensor {
        var out = t
        let block = 1024
        let blocksPerHead = (t.seq + block - 1) / block
        let dim = t.dim, seq = t.seq
        out.withSharedPointer { base in
            ParallelFor.run(count: t.heads * blocksPerHead, threads: threads) { item in
                let h = item / blocksPerHead, r0 = (item % blocksPerHead) * block
                let rows = min(block, seq - r0)
                rotate(base.base + h * seq * dim + r0 * dim, rows: rows, dim: dim, firstPosition: r0)
            }
        }
        return out
    }
}
