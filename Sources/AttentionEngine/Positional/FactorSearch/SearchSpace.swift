import Foundation

/// What LongRoPE searches over, for one model shape and one target length (paper §3.2,
/// Table 4):
///
/// - a factor λ_i per rotary pair in [1, 1.25·s], s = L'/L, non-decreasing over pairs
///   (slower pairs are interpolated at least as much as faster ones), new values drawn from
///   a 0.01 grid (the seeds' exact factors, off the grid, can be inherited: see `seeds()`);
/// - n̂ ∈ {0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 64, 128, 256}, the leading positions that
///   keep standard RoPE;
/// - the attention factor is not searched: LongRoPE's sqrt(1 + ln s / ln L) unless overridden.
public struct SearchSpace: Sendable, Equatable {
    public static let nhatChoices = [0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 64, 128, 256]
    /// Grid points per unit factor (step 0.01).
    public static let gridPerUnit = 100.0

    public var headDim: Int
    public var base: Double
    public var original: Int
    public var target: Int
    public var style: RopeSettings.Style
    public var attentionFactor: Double

    /// Fails (usage) unless the target extends the original length and the head has pairs.
    public init(headDim: Int, base: Double, original: Int, target: Int, style: RopeSettings.Style = .half,
                attentionFactor: Double? = nil) throws {
        guard target > original else {
            throw EngineError.usage("the factor search needs a target length above the original one (target \(target), original \(original)): set it with target= (--target)")
        }
        guard headDim >= 4 else { throw EngineError.usage("the factor search needs a head dim of at least 4 (got \(headDim))") }
        self.headDim = headDim
        self.base = base
        self.original = original
        self.target = target
        self.style = style
        self.attentionFactor = attentionFactor
            ?? LongRoPEScaling.attentionFactor(scale: Double(target) / Double(original), original: original)
    }

    /// s = L'/L.
    public var scale: Double { Double(target) / Double(original) }
    /// Upper end of the factor range, 1.25·s.
    public var maxFactor: Double { 1.25 * scale }
    public var pairs: Int { headDim / 2 }
    public var standardInvFreq: [Double] { RotaryEmbedding.standardInvFreq(headDim: headDim, base: base) }

    /// The rotation a candidate stands for.
    public func embedding(for c: FactorCandidate) -> RotaryEmbedding {
        RotaryEmbedding(invFreq: LongRoPEScaling.invFreq(factors: c.factors, headDim: headDim, base: base),
                        attentionFactor: attentionFactor, style: style,
                        prefixPositions: c.nhat, prefixInvFreq: c.nhat > 0 ? standardInvFreq : [])
    }

    /// The LongRoPE scaling `factors` stand for in this space: its lengths, base and
    /// attention factor (n̂ is the factors').
    public func scaling(_ factors: LongRoPEFactors) -> RopeScaling {
        var scaling = RopeScaling(kind: .longrope, headDim: headDim, base: base, original: original)
        scaling.target = target
        scaling.attentionFactor = attentionFactor
        scaling.factors = factors
        scaling.nhat = factors.nhat ?? 0
        return scaling
    }

    /// A candidate as the fields of a factors file: `long_factor` and `nhat` (what `factors=`
    /// reads) with the shape and lengths they are for. An evaluator command reads exactly
    /// this on stdin; the search's result JSON adds its score and curve.
    func factorsFileFields(for c: FactorCandidate) -> [String: Any] {
        ["long_factor": c.factors, "nhat": c.nhat, "attention_factor": attentionFactor, "head_dim": headDim,
         "rope_theta": base, "original_max_position_embeddings": original, "max_position_embeddings": target]
    }

    /// Where a candidate's angles land at the target length.
    public func range(for c: FactorCandidate) -> RotaryRange {
        RotaryRange(invFreq: embedding(for: c).invFreq, standardInvFreq: standardInvFreq, original: original, seq: target)
    }

    /// The search's starting points: PI, NTK-aware and YaRN for this shape and target,
    /// written as the per-pair factors they amount to (λ_i = standard / scaled frequency),
    /// kept inside [1, 1.25·s], n̂ = 0. They stay exact (off the 0.01 grid) so each scores
    /// exactly as its scaling does; genes changed by mutation land on the grid. Fails only
    /// when a base so large overflows NTK's (`RopeScaling.checkUsable`).
    public func seeds() throws -> [(name: String, candidate: FactorCandidate)] {
        try [RopeScalingKind.pi, .ntk, .yarn].map { kind in
            var s = RopeScaling(kind: kind, headDim: headDim, base: base, original: original)
            s.target = target
            let factors = try s.resolved(seq: target, style: style).factors
            return (kind.rawValue, FactorCandidate(factors: factors.map { min(max($0, 1), maxFactor) }))
        }
    }

    /// A uniformly drawn grid value in [lo, hi], nil when the interval holds no grid point.
    func gridValue(from lo: Double, to hi: Double, using rng: inout SeededGenerator) -> Double? {
        let first = Int((lo * SearchSpace.gridPerUnit - 1e-9).rounded(.up))
        let last = Int((hi * SearchSpace.gridPerUnit + 1e-9).rounded(.down))
        guard last >= first else { return nil }
        return Double(first + rng.int(below: last - first + 1)) / SearchSpace.gridPerUnit
    }
}

extension SearchSpace {
    /// The space for a request on inputs of `headDim`/`base`/`style` and `seq` tokens. L is
    /// the config's when `config=` is given (its rope scaling does not matter: a plain model
    /// is what one extends), else `original=` (4096); L' is `target=`, else the config's
    /// extended length when it has one, else `seq`; the base is the config's `rope_theta`
    /// when given. The attention factor override carries over, as does a LongRoPE config's
    /// stated one (another scaling's, e.g. YaRN's temperature, is not LongRoPE's).
    public init(request: RopeScalingRequest, headDim: Int, base: Double, style: RopeSettings.Style, seq: Int) throws {
        let config = try request.checkedConfig(headDim: headDim)
        try self.init(headDim: headDim, base: config?.base ?? base,
                      original: config?.original ?? request.original ?? RopeScaling.defaultOriginal,
                      target: request.target ?? config?.target ?? seq, style: style,
                      attentionFactor: request.attentionFactor ?? (config?.kind == .longrope ? config?.attentionFactor : nil))
    }
}

extension ObjectiveChoice {
    /// The objective over `space`: the proxy on `content`'s Q/K, or the user's command.
    public func objective(space: SearchSpace, content: AttentionInputs, timeout: Double, threads: Int,
                          rowsPerHead: Int = ProxyObjective.defaultRowsPerHead, oodWeight: Double = 1) throws -> any SearchObjective {
        switch self {
        case .proxy:
            try ProxyObjective.check(seq: content.seq)
            return ProxyObjective(content: content, space: space, rowsPerHead: rowsPerHead, oodWeight: oodWeight, threads: threads)
        case .command(let cmd): return CommandObjective(command: cmd, timeout: timeout, space: space)
        }
    }
}
