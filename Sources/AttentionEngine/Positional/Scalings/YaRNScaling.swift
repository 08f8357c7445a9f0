import Foundation

/// YaRN's optional settings as a Hugging Face config states them.
public struct YaRNOptions: Sendable, Equatable {
    /// Pairs turning at least `betaFast` times within the original length keep their frequency.
    public var betaFast: Double = 32
    /// Pairs turning fewer than `betaSlow` times are fully interpolated (÷ s).
    public var betaSlow: Double = 1
    /// Round the ramp ends outwards to whole pairs (transformers' default).
    public var truncate: Bool = true
    /// DeepSeek-style attention factor: mscale(s, mscale) / mscale(s, mscale_all_dim).
    public var mscale: Double?
    public var mscaleAllDim: Double?

    public init() {}
}

/// YaRN (Peng et al. 2023, "NTK-by-parts" plus a temperature), as transformers computes it.
///
/// The pair that completes r turns within the original length L sits at
///
///     dim(r) = d · ln(L / (2π·r)) / (2 · ln base)
///
/// Pairs below dim(β_fast) (many turns) keep their frequency, pairs above dim(β_slow)
/// (less than a turn) are interpolated by s, and a linear ramp blends the two in between:
///
///     ramp_i = clamp((i − low) / (high − low), 0, 1)
///     invFreq_i = base^(−2i/d) · (ramp_i / s + (1 − ramp_i))
///
/// with low = ⌊dim(β_fast)⌋ clamped at 0, high = ⌈dim(β_slow)⌉ clamped at d − 1. The
/// attention factor 0.1·ln(s) + 1 sharpens attention to offset the entropy of a longer context.
public enum YaRNScaling {
    public static func correctionDim(rotations r: Double, headDim: Int, base: Double, original: Int) -> Double {
        Double(headDim) * log(Double(original) / (r * 2 * Double.pi)) / (2 * log(base))
    }

    /// The ramp's ends in pair index units.
    public static func ramp(headDim: Int, base: Double, original: Int, options: YaRNOptions = .init()) -> (low: Double, high: Double) {
        var low = correctionDim(rotations: options.betaFast, headDim: headDim, base: base, original: original)
        var high = correctionDim(rotations: options.betaSlow, headDim: headDim, base: base, original: original)
        if options.truncate { low = low.rounded(.down); high = high.rounded(.up) }
        return (max(low, 0), min(high, Double(headDim - 1)))
    }

    public static func invFreq(headDim: Int, base: Double, original: Int, scale: Double,
                               options: YaRNOptions = .init()) -> [Double] {
        var (low, high) = ramp(headDim: headDim, base: base, original: original, options: options)
        if low == high { high += 0.001 }  // transformers' guard against a zero-width ramp
        return RotaryEmbedding.standardInvFreq(headDim: headDim, base: base).enumerated().map { i, f in
            let r = min(max((Double(i) - low) / (high - low), 0), 1)
            return f / scale * r + f * (1 - r)
        }
    }

    public static func attentionFactor(scale: Double, options: YaRNOptions = .init()) -> Double {
        func mscale(_ s: Double, _ m: Double) -> Double { s <= 1 ? 1 : 0.1 * m * log(s) + 1 }
        if let m = options.mscale, let all = options.mscaleAllDim, m != 0, all != 0 {
            return mscale(scale, m) / mscale(scale, all)
        }
        return mscale(scale, 1)
    }
}
