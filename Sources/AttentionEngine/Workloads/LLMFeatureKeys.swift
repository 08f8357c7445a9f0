/// Which keys carry which feature of the `llm` workload for one run setup, so a metric can
/// split a row's attention by feature (`AttentionStructure`). The features are the
/// generator's own (its plans for the same seed and shape), not guessed from the scores;
/// on other inputs of the same shape they name the keys the `llm` workload would have made
/// special, which is how `random` shows that nothing there is.
public struct LLMFeatureKeys: Sendable {
    /// The structural classes, in the order a key takes the first that applies.
    public enum KeyClass: Int, CaseIterable, Sendable {
        /// The `needle` workload's planted key (no key on other inputs).
        case needle
        /// Keys 0 ..< `sinkCount` (the attention sinks).
        case sink
        /// The `window` keys ending at the query.
        case window
        /// Stripe keys before the window.
        case stripe
        /// Keys within ±`slashHalfWidth` of i − Δ for each of the head's slash offsets Δ past the window.
        case slash
        /// Topic heads only: other keys of segments with the query's topic.
        case topic
        /// Everything else.
        case ordinary

        public var name: String { String(describing: self) }
    }

    /// Keys ending at the query that count as its local window.
    public static let window = 64
    /// Keys either side of a slash line's exact offset that count as the line.
    public static let slashHalfWidth = 2

    public let sinkCount: Int
    /// The planted key of the `needle` workload, if any.
    public let needle: Int?
    /// Per query head: its kind and slash offsets.
    public let plans: [LLMQueryPlan]
    /// Per kv head: whether each key is a stripe.
    let stripes: [[Bool]]
    let segments: TopicSegments
    let groupSize: Int

    /// The features of `workload` for `shape` and `seed`, and the needle's key if one was planted.
    public init(workload: LLMWorkload, shape: AttentionShape, seed: UInt64, needle: Int? = nil) {
        sinkCount = workload.parameters.sinkCount
        self.needle = needle
        plans = (0..<shape.heads).map { workload.queryPlan(head: $0, shape: shape, seed: seed) }
        stripes = (0..<shape.kvHeads).map { g in
            let plan = workload.keyPlan(kvHead: g, shape: shape, seed: seed)
            return (0..<shape.seq).map { plan.stripeStrength(row: $0) > 0 }
        }
        segments = workload.topicSegments(seed: seed)
        groupSize = max(1, shape.heads / shape.kvHeads)
    }

    /// The class of every key 0 ..< `keys` (all N without the causal mask) for query `row` of
    /// `head`: later classes are written first, each overwritten by those before it.
    /// Classes the inputs lack (no needle, a head without topics) get no keys.
    public func classes(head: Int, row: Int, keys: Int) -> [KeyClass] {
        var out = [KeyClass](repeating: .ordinary, count: keys)
        let windowStart = max(0, row - Self.window + 1)
        if plans[head].kind == .topic {
            var cursor = TopicSegments.Cursor(segments)
            let topic = cursor.topic(at: row)
            for j in 0..<keys where cursor.topic(at: j) == topic { out[j] = .topic }
        }
        for delta in plans[head].slashOffsets where delta > Self.window + Self.slashHalfWidth {
            let lo = max(0, row - delta - Self.slashHalfWidth), hi = min(keys, row - delta + Self.slashHalfWidth + 1)
            for j in lo..<max(lo, hi) { out[j] = .slash }
        }
        let stripe = stripes[head / groupSize]
        for j in 0..<keys where stripe[j] { out[j] = .stripe }
        for j in windowStart..<max(windowStart, min(row + 1, keys)) { out[j] = .window }
        for j in 0..<min(sinkCount, keys) { out[j] = .sink }
        if let needle, needle < keys { out[needle] = .needle }
        return out
    }
}
