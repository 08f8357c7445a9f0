/// Passkey retrieval: the `llm` workload plus one planted key/value pair deep in the
/// context that the last queries look for.
///
/// - The needle key at position p (a `depth` fraction into the sequence, from the seed; the
///   same for every head, reported as `WorkloadAnnotations.needlePosition`) carries κ·u_needle
///   on top of its ordinary content, u_needle a position-free direction orthogonal to the
///   sink and stripe directions of its kv head.
/// - The last `queries` queries carry (√d/κ)·L_needle·u_needle, counter-rotated like every
///   position-free feature, with L_needle = max(L_sink, P_peak, L_stripe) + L_topic + `margin`
///   (P_peak the head's largest positional logit, `LLMQueryPlan.peakPositionalLogit`): the
///   needle outbids the strongest key the head has, so most of those rows' mass lands on it.
///   No other query carries u_needle, so to every other row the needle is an ordinary key.
/// - Its value row is `valueScale`·s, s a ±1 pattern from the seed (an ordinary value row
///   is N(0, 1)): the last rows' outputs point at it, so a method that misses the needle
///   shows a large output error exactly there.
public struct NeedleWorkload: WorkloadGenerator {
    public var llm: LLMWorkload
    /// Where the needle is planted, as a fraction of the sequence (uniform).
    public var depth: ClosedRange<Double> = 0.1...0.3
    /// How many of the last queries look for it.
    public var queries = 64
    /// Logits by which the needle outbids the head's strongest key for those queries.
    public var margin = 6.0
    /// Magnitude of every entry of the needle's value row.
    public var valueScale = 4.0

    public init(llm: LLMWorkload = LLMWorkload()) { self.llm = llm }

    /// The needle's position for a sequence of `seq` tokens: after the sinks when there is room.
    public func position(seq: Int, seed: UInt64) -> Int {
        var rng = SeededGenerator(seed: seed, stream: LLMStream.needle, 0)
        let p = Int(Double(seq) * rng.uniform(in: depth))
        return min(max(p, llm.parameters.sinkCount), seq - 1)
    }

    public func annotations(shape: AttentionShape, seed: UInt64) -> WorkloadAnnotations {
        WorkloadAnnotations(needlePosition: position(seq: shape.seq, seed: seed))
    }

    public func fill(_ which: QKV, head: Int, rows: Range<Int>, shape: AttentionShape, seed: UInt64,
                     into out: UnsafeMutablePointer<Float>) {
        let p = position(seq: shape.seq, seed: seed)
        let planted = LLMWorkload.PlantedNeedle(position: p, queries: max(0, shape.seq - queries)..<shape.seq, margin: margin)
        llm.fill(which, head: head, rows: rows, shape: shape, seed: seed, needle: planted, into: out)
        if which == .v, rows.contains(p) {
            var rng = SeededGenerator(seed: seed, stream: LLMStream.needle, 1, UInt64(head))
            let row = out + (p - rows.lowerBound) * shape.headDim
            for c in 0..<shape.headDim { row[c] = Float(rng.uniform() < 0.5 ? -valueScale : valueScale) }
        }
    }
}
