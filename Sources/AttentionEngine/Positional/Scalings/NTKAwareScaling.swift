import Foundation

/// NTK-aware scaling (bloc97; transformers' `ntk` / `dynamic`): instead of dividing the
/// frequencies, raise the base so the slowest pair is interpolated by exactly s while the
/// fastest pair is untouched:
///
///     base' = base · s^(d/(d−2))            invFreq_i = base'^(−2i/d)
///
/// which is the per-pair factor λ_i = s^(2i/(d−2)). Pairs just below the slowest one are
/// interpolated by less than s, so at s·L they turn past the largest angle they reached in
/// training: NTK extrapolates a little. Attention factor 1.
public enum NTKAwareScaling {
    public static func scaledBase(base: Double, headDim: Int, scale: Double) -> Double {
        base * pow(scale, Double(headDim) / Double(headDim - 2))
    }

    public static func invFreq(headDim: Int, base: Double, scale: Double) -> [Double] {
        RotaryEmbedding.standardInvFreq(headDim: headDim, base: scaledBase(base: base, headDim: headDim, scale: scale))
    }

    /// Dynamic NTK follows the current length N instead of a fixed target: transformers uses
    /// s = α·N/L − (α − 1) once N exceeds L (α = the config's `factor`, 1 by default, which
    /// gives s = N/L), and standard RoPE up to L.
    public static func dynamicScale(seq: Int, original: Int, alpha: Double) -> Double {
        guard seq > original else { return 1 }
        return max(1, alpha * Double(seq) / Double(original) - (alpha - 1))
    }
}
