import Foundation

/// Q and K content with the structure of real long-context attention heads, made through
/// the content alone (nothing edits an attention matrix): the run-level RoPE stage rotates
/// it, and the patterns appear in q·k. With logits in units of q·k/√d, head h (kv head g)
/// gives, after RoPE,
///
///     q_i·k_j/√d ≈ L_sink·σ_j                      attention sinks: keys j < sinkCount (σ_0 = 1)
///               + L_local·K(i − j)                 local window: K(0) = 1, decaying with |i − j|
///               + Σ_s L_s·K(i − j − Δ_s)           slash lines at relative offsets Δ_s
///               + L_stripe·m_j                     vertical stripes: sparse keys, strength m_j
///               + L_topic·⟨t_topic(i), t_topic(j)⟩ topic blocks: segments sharing a topic
///               + noise                            per-token content the structure does not explain
///
/// with K(Δ) = Σ_p |c_p|² cos(Δθ_p) the kernel of the kv head's positional direction c
/// (fast rotary pairs, |c| = 1). How each term is written into the content:
/// - keys carry κ·c unrotated and queries (√d/κ)(L_local·c + Σ_s L_s·R(−Δ_s θ)c): RoPE turns
///   them into the kernel terms (see `RotaryPairs`), so with `--rope none` they are flat;
/// - sinks, stripes, topics (and the needle) live in the slow pairs and are written
///   counter-rotated, R(−iθ)·u at position i, so after RoPE they do not depend on position:
///   key j carries κ·(σ_j·u_sink + m_j·u_stripe + t_topic(j)), every query
///   (√d/κ)(L_sink·u_sink + L_stripe·u_stripe + L_topic·t_topic(i));
/// - every entry of Q and K gets N(0, noise²) on top.
/// Each query scales each of its features by its own log-normal gain. V is iid N(0, 1).
///
/// Every row comes from (seed, tensor, head, row) and the head's plans (O(d·topics), drawn
/// from (seed, head)), so any row range regenerates alone in O(rows·d).
public struct LLMWorkload: WorkloadGenerator {
    public var parameters: LLMWorkloadParameters { didSet { plans = LLMPlanCache() } }
    /// The positional stage the content is written for: its base and pairing style. With
    /// `--rope none` the same content is used unrotated.
    public var rope: RopeSettings { didSet { plans = LLMPlanCache() } }
    /// The plans `fill` uses, built once per head for the (seed, shape) being generated.
    private var plans = LLMPlanCache()

    public init(parameters: LLMWorkloadParameters = .init(), rope: RopeSettings = .standard) {
        self.parameters = parameters
        self.rope = rope
    }

    public func fill(_ which: QKV, head: Int, rows: Range<Int>, shape: AttentionShape, seed: UInt64,
                     into out: UnsafeMutablePointer<Float>) {
        fill(which, head: head, rows: rows, shape: shape, seed: seed, needle: nil, into: out)
    }

    /// A key planted at `position` that the queries in `queries` look for with a logit
    /// `margin` above the strongest key their head has (the `needle` workload; see `NeedleWorkload`).
    struct PlantedNeedle {
        var position: Int
        var queries: Range<Int>
        var margin: Double
    }

    // MARK: The head's structure, for tests and metrics

    public func pairs(dim: Int) -> RotaryPairs {
        RotaryPairs(dim: dim, rope: rope, positionFreeShare: parameters.positionFreeShare)
    }

    public func keyPlan(kvHead: Int, shape: AttentionShape, seed: UInt64) -> LLMKeyPlan {
        LLMKeyPlan(seed: seed, kvHead: kvHead, pairs: pairs(dim: shape.headDim), parameters: parameters)
    }

    /// The plan of query head `head` (it reads kv head head / (H/G)).
    public func queryPlan(head: Int, shape: AttentionShape, seed: UInt64) -> LLMQueryPlan {
        let keys = keyPlan(kvHead: head / max(1, shape.heads / shape.kvHeads), shape: shape, seed: seed)
        return LLMQueryPlan(seed: seed, head: head, keys: keys, pairs: pairs(dim: shape.headDim), parameters: parameters)
    }

    public func topicSegments(seed: UInt64) -> TopicSegments {
        TopicSegments(seed: seed, length: parameters.topicSegmentLength, topics: parameters.topicCount)
    }

    // MARK: Generation

    func fill(_ which: QKV, head: Int, rows: Range<Int>, shape: AttentionShape, seed: UInt64,
              needle: PlantedNeedle?, into out: UnsafeMutablePointer<Float>) {
        if which == .v {
            GaussianWorkload(outlierProbability: 0).fill(.v, head: head, rows: rows, shape: shape, seed: seed, into: out)
            return
        }
        let d = shape.headDim, p = parameters
        let kvHead = which == .q ? head / max(1, shape.heads / shape.kvHeads) : head
        let (pairs, keys, queryPlan) = plans.plans(for: self, seed: seed, shape: shape, kvHead: kvHead,
                                                   queryHead: which == .q ? head : nil)
        var topics = TopicSegments.Cursor(topicSegments(seed: seed))
        let freeDims = pairs.positionFreeDims
        var free = [Double](repeating: 0, count: d)
        func add(_ u: [Double], _ weight: Double) { for c in freeDims { free[c] += weight * u[c] } }
        /// Writes one row: positional part, counter-rotated position-free part, noise.
        func emit(_ n: Int, position: Int, positional: [Double], positionalGain: Double, rng: inout SeededGenerator) {
            pairs.rotate(&free, pairs: pairs.positionFree, position: -Double(position))
            let o = out + n * d
            for c in 0..<d { o[c] = Float(positionalGain * positional[c] + free[c] + p.noise * rng.normal()) }
            for c in freeDims { free[c] = 0 }
        }
        switch which {
        case .k:
            let kappa = LLMQueryPlan.keyNorm(dim: d, parameters: p)
            let positional = keys.positional.map { $0 * kappa }
            for (n, j) in rows.enumerated() {
                var rng = SeededGenerator(seed: seed, stream: LLMStream.rows, QKV.k.rawValue, UInt64(head), UInt64(j))
                if j < keys.sinkScales.count { add(keys.sinkDirection, kappa * keys.sinkScales[j]) }
                let stripe = keys.stripeStrength(row: j)
                if stripe > 0 { add(keys.stripeDirection, kappa * stripe) }
                add(keys.topicDirections[topics.topic(at: j)], kappa)
                if needle?.position == j { add(keys.needleDirection, kappa) }
                emit(n, position: j, positional: positional, positionalGain: 1, rng: &rng)
            }
        case .q:
            let plan = queryPlan!
            let scale = LLMQueryPlan.queryScale(dim: d, parameters: p)
            let needleLogit = max(plan.sinkLogit, plan.peakPositionalLogit, plan.stripeLogit) + plan.topicLogit + (needle?.margin ?? 0)
            for (n, i) in rows.enumerated() {
                var rng = SeededGenerator(seed: seed, stream: LLMStream.rows, QKV.q.rawValue, UInt64(head), UInt64(i))
                func gain() -> Double { exp(p.queryGainSpread * rng.normal()) }
                let (gPositional, gSink, gStripe, gTopic) = (gain(), gain(), gain(), gain())
                add(keys.sinkDirection, gSink * plan.sinkLogit * scale)
                add(keys.stripeDirection, gStripe * plan.stripeLogit * scale)
                add(keys.topicDirections[topics.topic(at: i)], gTopic * plan.topicLogit * scale)
                if let needle, needle.queries.contains(i) { add(keys.needleDirection, needleLogit * scale) }
                emit(n, position: i, positional: plan.positional, positionalGain: gPositional, rng: &rng)
            }
        case .v:
            break
        }
    }
}
