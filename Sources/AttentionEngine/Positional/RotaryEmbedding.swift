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
/// dimension unrotated.
public struct RotaryEmbedding: Sendable {
    public var invFreq: [Double]
    public var attentionFactor: Double
    public var style: RopeSettings.Style

    public init(invFreq: [Double], attentionFactor: Double = 1, style: RopeSettings.Style = .half) {
        self.invFreq = invFreq
        self.attentionFactor = attentionFactor
        self.style = style
    }

    /// Standard RoPE: invFreq[i] = base^(−2i/d).
    public static func standardInvFreq(headDim: Int, base: Double) -> [Double] {
        (0..<headDim / 2).map { 1 / pow(base, Double(2 * $0) / Double(headDim)) }
    }

    public init(standard settings: RopeSettings, headDim: Int) {
        self.init(invFreq: RotaryEmbedding.standardInvFreq(headDim: headDim, base: settings.base), style: settings.style)
    }

    /// Rotates rows `firstPosition ..< firstPosition + rows` of one head in place.
    public func rotate(_ x: UnsafeMutablePointer<Float>, rows: Int, dim: Int, firstPosition: Int) {
        let pairs = invFreq.count
        precondition(2 * pairs <= dim, "RoPE has more frequencies than the head dim allows")
        let scale = attentionFactor
        for r in 0..<rows {
            let p = Double(firstPosition + r)
            let row = x + r * dim
            for i in 0..<pairs {
                let a = style == .half ? i : 2 * i
                let b = style == .half ? i + dim / 2 : 2 * i + 1
                let angle = p * invFreq[i]
                let c = cos(angle) * scale, s = sin(angle) * scale
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
        out.data.withUnsafeMutableBufferPointer { buf in
            let base = SharedPointer(buf.baseAddress!)
            ParallelFor.run(count: t.heads * blocksPerHead, threads: threads) { item in
                let h = item / blocksPerHead, r0 = (item % blocksPerHead) * block
                let rows = min(block, seq - r0)
                rotate(base.base + h * seq * dim + r0 * dim, rows: rows, dim: dim, firstPosition: r0)
            }
        }
        return out
    }
}
