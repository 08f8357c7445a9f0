extension LongRoPEAttention {
    static let searchKeys = ["population", "generations", "mutations", "crossovers", "parents", "objective", "timeout"]

    public static let descriptor = MethodDescriptor(
        name: "longrope",
        summary: "exact attention on Q/K rotated with a scaled RoPE (PI, NTK, YaRN, LongRoPE factors or a live factor search)",
        keys: [
            ParameterKey("scaling", default: "longrope", "rotary scaling (from config= when given)",
                         choices: RopeScalingKind.allCases.map(\.rawValue)),
            ParameterKey("original", default: "4096", "L, the length the model was trained at (default: the factors file's, if stated)"),
            ParameterKey("target", default: "N", "L', the length the scaling is made for (default: the factors file's, if stated, else the run's sequence length)"),
            ParameterKey("factors", default: "", "FILE: JSON list of d/2 factors, or {long_factor, short_factor, nhat, lengths, attention_factor}", file: true),
            ParameterKey("config", default: "", "FILE: a Hugging Face config.json (rope_scaling, rope_theta, lengths, head dim)", file: true),
            ParameterKey("nhat", default: "0", "n̂: leading positions kept at standard RoPE"),
            ParameterKey("attention_factor", default: "auto", "cos/sin scale (auto: the file's or config's, else the scaling's own from s = target/original)"),
            ParameterKey("search", default: "off", "on: search LongRoPE factors on this run's Q/K first (untimed)", choices: ["off", "on"]),
            ParameterKey("population", default: "64", "search population"),
            ParameterKey("generations", default: "40", "search generations"),
            ParameterKey("mutations", default: "16", "mutations per generation"),
            ParameterKey("crossovers", default: "16", "crossovers per generation"),
            ParameterKey("parents", default: "32", "parents kept per generation"),
            ParameterKey("objective", default: "proxy", "proxy, or command:CMD (factors JSON on stdin, one number on stdout)"),
            ParameterKey("timeout", default: "60", "seconds per candidate for objective=command:"),
        ],
        make: { p in try LongRoPEAttention(parameters: &p) })

    /// Reads the method's keys; files named by `factors=`/`config=` are read here, so a bad
    /// file fails when the spec is validated (exit 65).
    init(parameters p: inout MethodParameters) throws {
        func usage(_ message: String) -> EngineError { .usage("method 'longrope': \(message)") }
        // No scaling= means: whatever config=/factors=/search=on imply.
        let kind: RopeScalingKind? = p.has("scaling") ? try p.choice("scaling", default: .longrope) : nil
        let original = try p.optionalInt("original", range: RopeScaling.lengths)
        let target = try p.optionalInt("target", range: RopeScaling.lengths, unset: "N")
        let nhat = try p.optionalInt("nhat", range: 0...RopeScaling.maxNhat)
        var attentionFactor: Double?
        if let raw = p.string("attention_factor"), raw != "auto" {
            guard let x = Double(raw), x.isFinite, x > 0 else { throw usage("key 'attention_factor=\(raw)' must be auto or a positive number") }
            attentionFactor = x
        }
        let searching = try p.flag("search", default: false)
        let factorsFile = p.string("factors"), configFile = p.string("config")
        if searching {
            if let kind, kind != .longrope { throw usage("search=on finds LongRoPE factors; it cannot be combined with scaling=\(kind.rawValue)") }
            if factorsFile != nil { throw usage("search=on finds the factors; drop factors=") }
            var settings = FactorSearchSettings()
            let sizes = FactorSearchSettings.limits.size
            settings.population = try p.int("population", default: settings.population, range: sizes)
            settings.generations = try p.int("generations", default: settings.generations, range: FactorSearchSettings.limits.generations)
            settings.mutations = try p.int("mutations", default: settings.mutations, range: sizes)
            settings.crossovers = try p.int("crossovers", default: settings.crossovers, range: sizes)
            settings.parents = try p.int("parents", default: settings.parents, range: sizes)
            try settings.validate(describe: { "method 'longrope': key '\($0)=\($1)'" })
            let objective = try ObjectiveChoice(parsing: p.string("objective") ?? "proxy", what: "method 'longrope': key 'objective'")
            let timeout = try p.double("timeout", default: 60, range: 0.001...86_400)
            search = SearchRequest(settings: settings, objective: objective, timeout: timeout)
        } else {
            if let key = LongRoPEAttention.searchKeys.first(where: p.has) { throw usage("key '\(key)' only applies with search=on") }
            search = nil
        }
        request = try RopeScalingRequest(kind: kind ?? (searching ? .longrope : nil), original: original, target: target,
                                         factorsFile: factorsFile, configFile: configFile, nhat: nhat,
                                         attentionFactor: attentionFactor, search: searching)
        if !searching, request.config == nil, request.factors == nil, (kind ?? .longrope) == .longrope {
            throw usage("scaling=longrope needs factors=FILE, config=FILE or search=on (or pick scaling=pi|ntk|dynamic-ntk|yarn)")
        }
    }
}
