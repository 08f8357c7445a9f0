/// `longrope`: exact attention (the `flash` kernel) on Q/K rotated with a scaled RoPE —
/// PI, NTK, dynamic NTK, YaRN or LongRoPE's per-pair factors, from keys, a factors file, a
/// model config or a live factor search.
///
/// LongRoPE does not make attention cheaper: its FLOPs are flash's. What it changes is where
/// in position space the rotation stays in distribution, which the extras report:
/// `ood_dims`, `min_period_tokens`, `local_fidelity`, and `needle_mass` on the needle
/// workload. Its error columns measure the departure from the run-level RoPE the reference
/// uses (standard RoPE with `--rope standard`), not numerical error.
///
/// Per call it rotates the content Q/K (qContent/kContent) with the scaled embedding
/// (timed: a model does this every forward) and runs flash on them. The search and the
/// positional metrics happen once per variant in `prepared(for:context:)`, untimed.
public struct LongRoPEAttention: AttentionMethod {
    public var request: RopeScalingRequest
    /// Set with `search=on`: the factors come from a search on the run's inputs.
    public var search: SearchRequest?
    /// Filled by `prepared(for:context:)` for one input shape.
    var preparation: Preparation?

    /// How to run the factor search for `search=on`.
    public struct SearchRequest: Sendable, Equatable {
        public var settings: FactorSearchSettings
        public var objective: ObjectiveChoice
        /// Seconds per candidate for `objective=command:`.
        public var timeout: Double
    }

    /// The scaling resolved for one input shape and the extras measured on it.
    struct Preparation: Sendable {
        var seq: Int
        var headDim: Int
        var rope: ScaledRope
        var extras: [ResultExtra]
    }

    public init(request: RopeScalingRequest, search: SearchRequest? = nil) {
        self.request = request
        self.search = search
    }

    public func prepared(for inputs: AttentionInputs, context: RunContext) throws -> any AttentionMethod {
        var copy = self
        copy.preparation = try prepare(inputs, context: context)
        return copy
    }

    /// Q and K rotated with the scaled RoPE, beside the run's own.
    public func copyBytes(_ shape: AttentionShape) -> Int {
        MemoryLayout<Float>.size * shape.seq * shape.headDim * (shape.heads + shape.kvHeads) + FlashAttention().copyBytes(shape)
    }

    /// The scaling must resolve for the run's head dim, base and length (factor files and
    /// configs are for one head dim); with `search=on` the factors come later, so only the
    /// search space (a config's head dim, a target above L) and whether the proxy has content
    /// enough can be checked.
    public func check(_ shape: AttentionShape, causal: Bool, rope: RopeSettings) throws {
        if let search {
            _ = try SearchSpace(request: request, headDim: shape.headDim, base: rope.base, style: rope.style, seq: shape.seq)
            if case .proxy = search.objective { try ProxyObjective.check(seq: shape.seq) }
        } else {
            _ = try request.scaling(headDim: shape.headDim, base: rope.base).resolved(seq: shape.seq, style: rope.style)
        }
    }

    public func run(_ inputs: AttentionInputs, context: RunContext) throws -> MethodOutput {
        let prep: Preparation
        if let p = preparation, p.seq == inputs.seq, p.headDim == inputs.headDim { prep = p } else { prep = try prepare(inputs, context: context) }
        var rotated = inputs
        rotated.q = prep.rope.embedding.rotated(inputs.qContent, threads: context.threads)
        rotated.k = prep.rope.embedding.rotated(inputs.kContent, threads: context.threads)
        try context.checkCancelled()
        let out = try FlashAttention().run(rotated, context: context)
        return MethodOutput(output: out.output, flops: out.flops,
                            memoryBytes: out.memoryBytes + rotated.q.byteCount + rotated.k.byteCount,
                            coverage: out.coverage, extras: prep.extras)
    }
}
