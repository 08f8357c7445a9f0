import Foundation

/// Where each rotary pair's angles fall at a sequence length compared with what the model saw
/// in training. A sequence of n tokens spans relative distances up to n, so pair i reaches
/// the angle n·θ_i (the papers' convention: PI at s = N/L maps N exactly onto L).
///
/// - A pair that completes a full turn within the original length (L·θ_std,i ≥ 2π) has seen
///   every angle in training: it is never out of distribution, whatever N.
/// - Any other pair is out of distribution (OOD) when N·θ_i > L·θ_std,i: it turns past the
///   largest angle it reached in training. Its overshoot is ln(N·θ_i / (L·θ_std,i)).
/// - A pair is interpolated when θ_i < θ_std,i; its period 2π/θ_i in tokens bounds the
///   positional resolution it keeps (PI's fastest pair: 2π·s tokens).
///
/// "Dims" here are rotary pairs (frequency indices i = 0 ..< d/2), as the LongRoPE paper counts them.
public struct RotaryRange: Sendable {
    public let invFreq: [Double]
    public let standardInvFreq: [Double]
    public let original: Int
    public let seq: Int

    /// Relative slack for comparing angles, so PI at exactly s = N/L counts as in range.
    static let tolerance = 1e-9

    public init(invFreq: [Double], standardInvFreq: [Double], original: Int, seq: Int) {
        self.invFreq = invFreq
        self.standardInvFreq = standardInvFreq
        self.original = original
        self.seq = seq
    }

    /// Turns pair i completes within the original length under standard RoPE.
    public func turnsInOriginal(_ i: Int) -> Double { Double(original) * standardInvFreq[i] / (2 * .pi) }

    /// Period of pair i in tokens under this scaling.
    public func period(_ i: Int) -> Double { 2 * .pi / invFreq[i] }

    /// ln(N·θ_i / (L·θ_std,i)) for an OOD pair, 0 otherwise.
    public func overshoot(_ i: Int) -> Double {
        guard turnsInOriginal(i) < 1 else { return 0 }
        let ratio = Double(seq) * invFreq[i] / (Double(original) * standardInvFreq[i])
        return ratio > 1 + RotaryRange.tolerance ? log(ratio) : 0
    }

    /// The OOD pairs.
    public var oodDims: [Int] { invFreq.indices.filter { overshoot($0) > 0 } }

    /// Σ overshoot over the OOD pairs (0 when none).
    public var totalOvershoot: Double { invFreq.indices.reduce(0) { $0 + overshoot($1) } }

    /// Pairs whose frequency was lowered.
    public var interpolatedDims: [Int] {
        invFreq.indices.filter { invFreq[$0] < standardInvFreq[$0] * (1 - RotaryRange.tolerance) }
    }

    /// The shortest period among interpolated pairs, nil when none is interpolated.
    public var minInterpolatedPeriod: Double? { interpolatedDims.map(period).min() }
}
