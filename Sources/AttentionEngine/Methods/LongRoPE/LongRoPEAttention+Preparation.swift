import Dispatch

extension LongRoPEAttention {
    /// Query rows per head `local_fidelity` samples.
    static let fidelityRowsPerHead = 16

    /// Resolves the scaling for these inputs (searching first with `search=on`) and measures
    /// the positional extras once.
    func prepare(_ inputs: AttentionInputs, context: RunContext) throws -> Preparation {
        let base = inputs.rope.base, d = inputs.headDim, n = inputs.seq
        var extras: [ResultExtra] = []
        let scaling: RopeScaling
        if let search {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try runSearch(search, inputs: inputs, context: context)
            scaling = request.scaling(searched: result.best, in: result.space)
            extras += [ResultExtra("search_score", result.bestScore),
                       ResultExtra("search_dropped", Double(result.dropped)),
                       ResultExtra("search_ms", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)]
        } else {
            scaling = try request.scaling(headDim: d, base: base)
        }
        let rope = try scaling.resolved(seq: n, style: inputs.rope.style)
        let range = rope.range
        let window = LocalAttentionWindow(content: inputs, window: scaling.original, rowsPerHead: LongRoPEAttention.fidelityRowsPerHead,
                                          standard: rope.standardEmbedding, threads: context.threads)
        try context.checkCancelled()
        var head: [ResultExtra] = [ResultExtra("scaling", .text(scaling.kind.rawValue))]
        if let set = rope.factorSet { head.append(ResultExtra("factor_set", .text(set))) }
        head += [
            ResultExtra("scale", rope.scale),
            ResultExtra("attention_factor", rope.embedding.attentionFactor),
            ResultExtra("nhat", Double(scaling.nhat)),
            ResultExtra("ood_dims", Double(range.oodDims.count)),
            ResultExtra("min_period_tokens", range.minInterpolatedPeriod ?? .nan),
            ResultExtra("local_fidelity", window.fidelity(of: rope.embedding, threads: context.threads)),
        ]
        if let needle = inputs.annotations.needlePosition {
            head.append(ResultExtra("needle_mass", NeedleMass.measure(content: inputs, rotation: rope.embedding, needle: needle,
                                                                      threads: context.threads)))
        }
        let warnings = request.warnings
        if !warnings.isEmpty { extras.append(ResultExtra("warnings", .text(warnings.joined(separator: "; ")))) }
        return Preparation(seq: n, headDim: d, rope: rope, extras: head + extras)
    }

    /// The search of `search=on`: on this run's content Q/K, target the run's length unless
    /// `target=` (or the config) says otherwise; the run's seed seeds it.
    func runSearch(_ search: SearchRequest, inputs: AttentionInputs, context: RunContext) throws -> FactorSearchResult {
        let space = try SearchSpace(request: request, headDim: inputs.headDim, base: inputs.rope.base,
                                    style: inputs.rope.style, seq: inputs.seq)
        let objective = try search.objective.objective(space: space, content: inputs, timeout: search.timeout, threads: context.threads)
        var settings = search.settings
        settings.seed = context.seed
        let generations = max(settings.generations, 1)
        return try FactorSearch(space: space, settings: settings)
            .run(objective: objective, threads: context.threads, cancellation: context.cancellation) { event in
                if case .generation(let g) = event { context.progress(Double(g.index) / Double(generations)) }
            }
    }
}
