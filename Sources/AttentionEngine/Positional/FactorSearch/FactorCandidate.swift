/// One individual of LongRoPE's search: a rescale factor per rotary pair (fast pairs first)
/// and n̂, the leading positions left at standard RoPE.
public struct FactorCandidate: Hashable, Sendable {
    public var factors: [Double]
    public var nhat: Int

    public init(factors: [Double], nhat: Int = 0) {
        self.factors = factors
        self.nhat = nhat
    }

    /// LongRoPE's constraint: factors never decrease from fast to slow pairs.
    public var isMonotonic: Bool { zip(factors, factors.dropFirst()).allSatisfy { $0 <= $1 } }
}
