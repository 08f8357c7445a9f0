import Foundation

/// Names of the random streams of the `llm` workload, so no two uses of the seed overlap.
enum LLMStream {
    static let keyPlan: UInt64 = 0x6C6C_6D00_0001
    static let queryPlan: UInt64 = 0x6C6C_6D00_0002
    static let stripes: UInt64 = 0x6C6C_6D00_0003
    static let segments: UInt64 = 0x6C6C_6D00_0004
    static let rows: UInt64 = 0x6C6C_6D00_0005
    static let needle: UInt64 = 0x6C6C_6D00_0006
}

/// What the keys of one kv head carry, drawn once from (seed, kv head): O(d·topics) numbers,
/// nothing of size N. Directions are unit vectors in the "after RoPE" frame; the workload
/// counter-rotates the position-free ones per row.
public struct LLMKeyPlan: Sendable {
    /// Unit positional direction c (fast pairs only): pair p has energy |c_p|² ∝ θ_p^γ and a
    /// random phase. Keys carry it unrotated, so after RoPE the local kernel is
    /// K(Δ) = Σ_p |c_p|² cos(Δθ_p).
    public let positional: [Double]
    /// γ of `positional` (see `LLMWorkloadParameters.spectralTilt`).
    public let spectralTilt: Double
    /// |c_p|² and θ_p of every positional pair: the terms of K.
    private let kernelTerms: [(weight: Double, theta: Double)]
    /// Orthonormal position-free directions (slow pairs only) of the sink, the stripes and
    /// the needle; topics are unit vectors orthogonal to those three.
    public let sinkDirection: [Double], stripeDirection: [Double], needleDirection: [Double]
    public let topicDirections: [[Double]]
    /// Strength of sink key k relative to key 0 (element 0 is 1).
    public let sinkScales: [Double]
    /// Probability that a key after the sinks is a stripe.
    public let stripeDensity: Double
    private let stripeStream: (seed: UInt64, kvHead: UInt64)
    private let stripeStrengthRange: ClosedRange<Double>

    init(seed: UInt64, kvHead: Int, pairs: RotaryPairs, parameters p: LLMWorkloadParameters) {
        var rng = SeededGenerator(seed: seed, stream: LLMStream.keyPlan, UInt64(kvHead))
        spectralTilt = rng.uniform(in: p.spectralTilt)
        var c = [Double](repeating: 0, count: pairs.dim)
        for q in pairs.positional {
            let amplitude = pow(pairs.theta[q], spectralTilt / 2)
            let phase = 2 * Double.pi * rng.uniform()
            c[pairs.first[q]] = amplitude * cos(phase)
            c[pairs.second[q]] = amplitude * sin(phase)
        }
        positional = normalized(c)
        let unit = positional
        kernelTerms = pairs.positional.map { (unit[pairs.first[$0]] * unit[pairs.first[$0]] + unit[pairs.second[$0]] * unit[pairs.second[$0]], pairs.theta[$0]) }
        var basis: [[Double]] = []
        func direction() -> [Double] {
            var v = [Double](repeating: 0, count: pairs.dim)
            for i in pairs.positionFreeDims { v[i] = rng.normal() }
            let raw = normalized(v)
            for b in basis { let x = dot(v, b); for i in v.indices { v[i] -= x * b[i] } }
            // In a subspace too small to hold every direction, features share dimensions.
            return norm(v) > 1e-6 * norm(raw) ? normalized(v) : raw
        }
        sinkDirection = direction(); basis.append(sinkDirection)
        stripeDirection = direction(); basis.append(stripeDirection)
        needleDirection = direction(); basis.append(needleDirection)
        topicDirections = (0..<max(1, p.topicCount)).map { _ in direction() }
        sinkScales = (0..<max(0, p.sinkCount)).map { $0 == 0 ? 1 : rng.uniform(in: p.sinkFollowerScale) }
        stripeDensity = rng.logUniform(in: p.stripeDensity)
        stripeStream = (seed, UInt64(kvHead))
        stripeStrengthRange = p.stripeStrength
    }

    /// The positional kernel K(Δ) = Σ_p |c_p|² cos(Δθ_p): K(0) = 1 (0 if d has no
    /// positional pairs); for uniform energies it falls like 1 − ln Δ / ln(1/θ_min) and then
    /// wobbles around 0 with spread 1/√(2·pairs).
    public func kernel(at delta: Double) -> Double {
        kernelTerms.reduce(0) { $0 + $1.weight * cos(delta * $1.theta) }
    }

    /// Strength of key `row` as a stripe (0 if it is not one), from its own stream so any
    /// key's status is known without generating the others.
    public func stripeStrength(row: Int) -> Double {
        guard row >= sinkScales.count else { return 0 }
        var rng = SeededGenerator(seed: stripeStream.seed, stream: LLMStream.stripes, stripeStream.kvHead, UInt64(row))
        return rng.uniform() < stripeDensity ? rng.uniform(in: stripeStrengthRange) : 0
    }
}

/// One query head's mix of features, drawn once from (seed, head): its kind, its logits and
/// its slash offsets, plus the query-side positional vector built from its kv head's plan.
public struct LLMQueryPlan: Sendable {
    public let kind: LLMWorkloadParameters.HeadKind
    /// Logits as defined in `LLMWorkloadParameters.HeadProfile`.
    public let sinkLogit: Double, localLogit: Double, stripeLogit: Double, topicLogit: Double
    /// Relative offsets Δ (tokens) of the slash lines and their logits.
    public let slashOffsets: [Int], slashLogits: [Double]
    /// The largest positional logit P(x) = L_local·K(x) + Σ_s L_s·K(x − Δ_s) over the
    /// distances where a peak can sit (0 and each Δ_s): slash tails add to the local peak.
    public let peakPositionalLogit: Double
    /// The query's positional content: (√d/κ)·(L_local·c + Σ_s L_s·R(−Δ_s θ)c). After RoPE,
    /// q_i·k_j/√d = L_local·K(i−j) + Σ_s L_s·K(i−j−Δ_s) with K the key plan's kernel.
    let positional: [Double]

    init(seed: UInt64, head: Int, keys: LLMKeyPlan, pairs: RotaryPairs, parameters p: LLMWorkloadParameters) {
        var rng = SeededGenerator(seed: seed, stream: LLMStream.queryPlan, UInt64(head))
        let profiles = p.profiles.filter { $0.weight > 0 }
        let total = profiles.reduce(0) { $0 + $1.weight }
        var pick = rng.uniform() * total
        let profile = profiles.first { pick -= $0.weight; return pick < 0 } ?? profiles[profiles.count - 1]
        kind = profile.kind
        sinkLogit = rng.uniform(in: profile.sink)
        localLogit = rng.uniform(in: profile.local)
        stripeLogit = rng.uniform(in: profile.stripe)
        topicLogit = rng.uniform(in: profile.topic)
        let count = rng.int(in: profile.slashCount)
        slashOffsets = (0..<count).map { _ in Int(rng.logUniform(in: p.slashOffset).rounded()) }
        slashLogits = (0..<count).map { _ in rng.uniform(in: profile.slash) }
        let toQuery = LLMQueryPlan.queryScale(dim: pairs.dim, parameters: p)
        let local = localLogit * toQuery
        var q = keys.positional.map { $0 * local }
        for (offset, logit) in zip(slashOffsets, slashLogits) {
            var shifted = keys.positional
            pairs.rotate(&shifted, pairs: pairs.positional, position: -Double(offset))
            for i in q.indices { q[i] += shifted[i] * logit * toQuery }
        }
        positional = q
        let (offsets, logits, localPeak) = (slashOffsets, slashLogits, localLogit)
        func positionalLogit(_ x: Int) -> Double {
            zip(offsets, logits).reduce(localPeak * keys.kernel(at: Double(x))) { $0 + $1.1 * keys.kernel(at: Double(x - $1.0)) }
        }
        peakPositionalLogit = ([0] + offsets).map(positionalLogit).max()!
    }

    /// Key-side norm κ = √(balancedLogit·√d) of every feature.
    static func keyNorm(dim: Int, parameters p: LLMWorkloadParameters) -> Double {
        (p.balancedLogit * Double(dim).squareRoot()).squareRoot()
    }

    /// The query-side coefficient per unit of logit, √d/κ: a query carrying L·√d/κ·u against
    /// a key carrying κ·u adds L to q·k/√d.
    static func queryScale(dim: Int, parameters p: LLMWorkloadParameters) -> Double {
        Double(dim).squareRoot() / keyNorm(dim: dim, parameters: p)
    }
}

extension SeededGenerator {
    mutating func uniform(in r: ClosedRange<Double>) -> Double {
        r.lowerBound + (r.upperBound - r.lowerBound) * uniform()
    }

    mutating func logUniform(in r: ClosedRange<Double>) -> Double {
        exp(uniform(in: log(r.lowerBound)...log(r.upperBound)))
    }

    mutating func int(in r: ClosedRange<Int>) -> Int { r.lowerBound + int(below: r.count) }
}

fileprivate func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
fileprivate func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
fileprivate func normalized(_ a: [Double]) -> [Double] {
    let n = norm(a)
    return n > 0 ? a.map { $0 / n } : a
}
