/// Position interpolation (Chen et al. 2023; transformers' `linear`): every frequency is
/// divided by the extension ratio s, so positions 0 ..< s·L land on the trained range
/// 0 ..< L. Every pair is interpolated by the same factor, the fastest ones included, which
/// is what costs PI its local resolution.
///
///     invFreq_i = base^(−2i/d) / s          attention factor 1
public enum PositionInterpolation {
    public static func invFreq(headDim: Int, base: Double, scale: Double) -> [Double] {
        RotaryEmbedding.standardInvFreq(headDim: headDim, base: base).map { $0 / scale }
    }
}
