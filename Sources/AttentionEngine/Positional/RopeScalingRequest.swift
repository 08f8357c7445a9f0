/// A scaling as a person asks for it, with `longrope` method keys or `attnscope rope show`
/// flags, before the head dim and base of the inputs are known. Files are read when the
/// request is made (so a bad file fails before any work, exit 65); `scaling(headDim:base:)`
/// completes it once the inputs are known.
public struct RopeScalingRequest: Sendable, Equatable {
    public var kind: RopeScalingKind?
    public var original: Int?
    public var target: Int?
    /// Read from `factors=FILE`.
    public var factors: LongRoPEFactors?
    /// Read from `config=FILE`.
    public var config: RopeScaling?
    public var nhat: Int?
    public var attentionFactor: Double?

    /// `search`: the request is for a factor search, which takes only the model's shape,
    /// `rope_theta` and trained length from a config, whatever its rope scaling (extending a
    /// plain model is the search's main use), and its target from `target=` when given.
    public init(kind: RopeScalingKind? = nil, original: Int? = nil, target: Int? = nil, factorsFile: String? = nil,
                configFile: String? = nil, nhat: Int? = nil, attentionFactor: Double? = nil, search: Bool = false) throws {
        self.kind = kind
        self.original = original
        self.target = target
        self.nhat = nhat
        self.attentionFactor = attentionFactor
        if let configFile {
            if search, original != nil {
                throw EngineError.usage("config= gives the original length (original_max_position_embeddings, else max_position_embeddings); drop original=")
            }
            guard search || (original == nil && target == nil) else {
                throw EngineError.usage("config= sets the original and target lengths (original_max_position_embeddings, max_position_embeddings); drop original= and target=")
            }
            guard factorsFile == nil else { throw EngineError.usage("give factors= or config=, not both (the config carries its own factors)") }
            let config = try ModelRopeConfig.load(configFile)
            if !search, let kind, kind != config.kind {
                throw EngineError.usage("scaling=\(kind.rawValue) contradicts \(configFile), whose rope scaling is \(config.kind.rawValue)")
            }
            self.config = config
        }
        if let factorsFile {
            if let kind, kind != .longrope { throw EngineError.usage("factors= only applies to scaling=longrope, not scaling=\(kind.rawValue)") }
            factors = try FactorFile.load(factorsFile)
        }
        if let o = original, let t = target, t < o {
            throw EngineError.usage("target=\(t) is below original=\(o): a scaling extends the trained length")
        }
    }

    /// The scaling this request names, or an error saying what is missing.
    public func scaling(headDim: Int, base: Double) throws -> RopeScaling {
        var scaling: RopeScaling
        if let config = try checkedConfig(headDim: headDim) {
            scaling = config
        } else {
            guard let kind = kind ?? (factors != nil ? .longrope : nil) else {
                throw EngineError.usage("say which scaling: scaling=pi|ntk|dynamic-ntk|yarn|longrope, factors=FILE, config=FILE or search=on")
            }
            if kind == .longrope && factors == nil {
                throw EngineError.usage("scaling=longrope needs factors=FILE, config=FILE or search=on")
            }
            // A factors file's stated lengths and attention factor stand in for unset keys.
            scaling = RopeScaling(kind: kind, headDim: headDim, base: base,
                                  original: original ?? factors?.original ?? RopeScaling.defaultOriginal)
            scaling.target = target ?? factors?.target
            // Keys alone were checked when the request was made; a file may supply either length.
            if let t = scaling.target, t < scaling.original, let source = factors?.source {
                throw EngineError.usage("target \(t) is below original \(scaling.original) (keys and \(source) together): a scaling extends the trained length")
            }
            scaling.attentionFactor = factors?.attentionFactor
            scaling.factors = factors
            try factors?.check(headDim: headDim)
        }
        scaling.nhat = nhat ?? scaling.factors?.nhat ?? 0
        scaling.attentionFactor = attentionFactor ?? scaling.attentionFactor
        return scaling
    }

    /// The LongRoPE scaling a search's best candidate stands for, with the lengths, base and
    /// attention factor it was scored with; up to L a LongRoPE config's own short factors
    /// still apply (otherwise standard RoPE). An `nhat=` key overrides the searched n̂.
    public func scaling(searched best: FactorCandidate, in space: SearchSpace) -> RopeScaling {
        var scaling = space.scaling(LongRoPEFactors(long: best.factors, short: config?.factors?.short, nhat: best.nhat, source: "search"))
        scaling.source = config?.source
        scaling.nhat = nhat ?? best.nhat
        return scaling
    }

    /// The `config=` scaling once its head dim is checked against the inputs' (exit 65 when
    /// they differ); nil without `config=`.
    func checkedConfig(headDim: Int) throws -> RopeScaling? {
        guard let config else { return nil }
        guard config.headDim == headDim else {
            throw EngineError.data("\(config.source ?? "config"): head dim \(config.headDim) does not match the inputs' head dim \(headDim)")
        }
        return config
    }

    /// Warnings from the files read (e.g. decreasing factors).
    public var warnings: [String] { (factors ?? config?.factors)?.warnings ?? [] }
}
