import Foundation

/// The rotary geometry seen from the content side: which dimensions the run-level positional
/// stage (`RotaryEmbedding`) rotates together, at which frequency, and how the `llm`
/// workload splits the pairs between positional and position-free features.
///
/// RoPE maps content q_c at position i and k_c at position j to R(iθ)q_c and R(jθ)k_c, so
///
///     q·k = q_c · R((j − i)θ) k_c
///
/// depends on positions only through i − j. Two consequences the workload builds on:
/// - a direction c shared by q and k gives the kernel Σ_p |c_p|² cos((i − j)θ_p), which peaks
///   at i = j and decays (locality); pre-rotating the query's copy to R(−Δθ)c moves the peak
///   to i − j = Δ (a slash line);
/// - a feature meant to be position-free (a sink, a stripe, a topic) must be written as
///   R(−iθ)u in the content at position i, so that the stage turns it back into u.
///
/// Real heads keep their position-free ("semantic") features in the slowest rotary pairs and
/// build positional patterns from the fast ones, so the workload does the same: the slowest
/// `positionFreeShare` of the pairs carry semantic features, the rest positional ones.
public struct RotaryPairs: Sendable {
    public let dim: Int
    /// Per pair p: its two dimensions (RotaryEmbedding's pairing for the style) and its
    /// frequency θ_p = base^(−2p/d), fastest first.
    public let first: [Int], second: [Int], theta: [Double]
    /// Fast pairs, for positional features (locality, slash lines).
    public let positional: Range<Int>
    /// Slow pairs, for position-free features (sinks, stripes, topics, the needle).
    public let positionFree: Range<Int>
    /// Every dimension of the position-free subspace: both dimensions of each slow pair,
    /// plus the last dimension when d is odd (RoPE leaves it unrotated).
    public let positionFreeDims: [Int]

    public init(dim: Int, rope: RopeSettings, positionFreeShare: Double) {
        self.dim = dim
        let pairs = dim / 2
        let stage = RotaryEmbedding(standard: rope, headDim: dim)
        theta = stage.invFreq
        first = (0..<pairs).map { stage.dimensions(pair: $0, dim: dim).a }
        second = (0..<pairs).map { stage.dimensions(pair: $0, dim: dim).b }
        let slow = pairs == 0 ? 0 : min(pairs, max(1, Int((Double(pairs) * positionFreeShare).rounded())))
        positional = 0..<(pairs - slow)
        positionFree = (pairs - slow)..<pairs
        let (f, s) = (first, second)
        positionFreeDims = positionFree.flatMap { [f[$0], s[$0]] } + (dim % 2 == 1 ? [dim - 1] : [])
    }

    /// Rotates the given pairs of `x` by the angles `position`·θ_p, exactly as the positional
    /// stage does at that position (so `position: −i` undoes the stage's rotation at i).
    public func rotate(_ x: inout [Double], pairs: Range<Int>, position: Double) {
        for p in pairs {
            let a = first[p], b = second[p]
            let angle = position * theta[p]
            let c = cos(angle), s = sin(angle)
            let xa = x[a], xb = x[b]
            x[a] = xa * c - xb * s
            x[b] = xa * s + xb * c
        }
    }
}
