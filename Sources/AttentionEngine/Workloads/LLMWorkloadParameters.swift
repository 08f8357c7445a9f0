/// The knobs of the `llm` workload. Strengths are logits: the value q·k/√d adds for one
/// query–key pair at the feature's strongest (sink key 0, the query's own position, a
/// full-strength stripe, the exact slash offset, a same-topic key). Keys without any
/// feature sit at logit ≈ 0 with the noise spread, so a logit L against N ordinary keys
/// wins when e^L is comparable with N (e^11.8 ≈ 131072).
///
/// Every range is sampled once per head from the seed (log-uniformly where marked,
/// uniformly otherwise), so heads differ in the same way real heads do.
public struct LLMWorkloadParameters: Sendable, Equatable {
    /// Which sparse pattern a head favours. Every head has every feature; the kind sets
    /// the strength ranges its own mix is drawn from.
    public enum HeadKind: String, Sendable, CaseIterable {
        /// Sinks and a strong local window (StreamingLLM / MInference's A-shape).
        case streaming
        /// Strong vertical stripes and slash lines on top of sinks and a window (MInference's Vertical-Slash).
        case verticalSlash = "vertical-slash"
        /// Attention within topic segments (MInference's Block-Sparse).
        case topic
    }

    /// The strength ranges of one head kind, and how often it occurs.
    public struct HeadProfile: Sendable, Equatable {
        public var kind: HeadKind
        /// Relative frequency of this kind among heads.
        public var weight: Double
        /// Logit of sink key 0 for every query.
        public var sink: ClosedRange<Double>
        /// Logit of the local kernel at distance 0 (it decays with distance through RoPE).
        /// Kernels are broad, so slash lines' tails add to it near the diagonal: the
        /// realised peak is `LLMQueryPlan.peakPositionalLogit`.
        public var local: ClosedRange<Double>
        /// Logit of a full-strength stripe key for every later query.
        public var stripe: ClosedRange<Double>
        /// Logit of each slash line at its exact offset.
        public var slash: ClosedRange<Double>
        /// How many slash lines (fixed relative offsets besides 0) the head has.
        public var slashCount: ClosedRange<Int>
        /// Logit of a key in a segment of the query's topic.
        public var topic: ClosedRange<Double>

        public init(kind: HeadKind, weight: Double, sink: ClosedRange<Double>, local: ClosedRange<Double>,
                    stripe: ClosedRange<Double>, slash: ClosedRange<Double>, slashCount: ClosedRange<Int>,
                    topic: ClosedRange<Double>) {
            self.kind = kind; self.weight = weight; self.sink = sink; self.local = local
            self.stripe = stripe; self.slash = slash; self.slashCount = slashCount; self.topic = topic
        }
    }

    /// Attention-sink keys at the start of the sequence (StreamingLLM keeps 4).
    public var sinkCount = 4
    /// Strength of sink keys 1 ..< sinkCount relative to key 0 (their logit is this times key 0's).
    public var sinkFollowerScale: ClosedRange<Double> = 0.6...0.9
    /// Probability that a key (after the sinks) is a vertical stripe, per kv head, log-uniform:
    /// 1/1024 … 1/256 gives 128–512 stripes at 131072 tokens.
    public var stripeDensity: ClosedRange<Double> = (1.0 / 1024)...(1.0 / 256)
    /// Strength of each stripe key relative to the head's stripe logit, uniform: a few
    /// strong stripes and many weaker ones.
    public var stripeStrength: ClosedRange<Double> = 0.5...1
    /// Offsets Δ of slash lines in tokens, log-uniform per line.
    public var slashOffset: ClosedRange<Double> = 16...4096
    /// Topic vectors per kv head; each segment has one topic, uniformly drawn.
    public var topicCount = 32
    /// Mean length of a topic segment in tokens (lengths spread over 0 … 2× this).
    public var topicSegmentLength = 1024
    /// Spectral tilt γ of the positional direction, per kv head: pair p carries energy
    /// ∝ θ_p^γ. γ = 0 spreads it evenly over log-spaced frequencies, which makes the local
    /// kernel fall like 1 − ln(Δ)/ln(1/θ_min), i.e. attention ∝ Δ^(−L/ln(1/θ_min)) (a power
    /// law, as in real heads); γ > 0 favours fast pairs and narrows the window, γ < 0
    /// widens it. Either way K then wobbles around 0 with spread ≈ 1/√(2·pairs), which
    /// gives every diagonal a small fixed offset (faint extra slash lines, as in real maps).
    public var spectralTilt: ClosedRange<Double> = -0.3...0.3
    /// Share of rotary pairs (the slowest) reserved for position-free features.
    public var positionFreeShare = 0.25
    /// Standard deviation of the iid Gaussian added to every entry of Q and K: per-token
    /// content the structure does not explain. Against the structured parts it spreads the
    /// logits of ordinary keys by about 1–2 (standard deviation).
    public var noise = 0.4
    /// Each query scales each of its features by exp(N(0, spread²)), so rows differ.
    public var queryGainSpread = 0.1
    /// Logit at which query and key carry a feature with equal norms: the key-side norm
    /// of every feature is √(this·√d) and the query side makes up the head's logit.
    public var balancedLogit = 10.0
    /// Head kinds and their strength ranges.
    public var profiles: [HeadProfile] = [
        HeadProfile(kind: .streaming, weight: 0.3, sink: 12...15, local: 9...13, stripe: 7...10,
                    slash: 7...10, slashCount: 0...1, topic: 0...2),
        HeadProfile(kind: .verticalSlash, weight: 0.5, sink: 11...14, local: 8...12, stripe: 10...13,
                    slash: 8...11, slashCount: 1...4, topic: 0...2),
        HeadProfile(kind: .topic, weight: 0.2, sink: 10...13, local: 8...12, stripe: 7...10,
                    slash: 7...10, slashCount: 0...1, topic: 4...6),
    ]

    public init() {}
}
