import Foundation

/// `config=FILE`: the rotary settings of a Hugging Face `config.json`.
///
/// Reads `rope_scaling` (or transformers v5's `rope_parameters`), its `type`/`rope_type`
/// (`longrope`/`su`, `yarn`, `linear`, `dynamic`, `default`), `rope_theta` (default 10000),
/// `original_max_position_embeddings` (in `rope_scaling` or at the top level),
/// `max_position_embeddings`, and the head dim from `head_dim` or `hidden_size /
/// num_attention_heads`. The extension ratio s is `rope_scaling.factor` when given, else
/// `max_position_embeddings / original_max_position_embeddings` (Phi-3's convention), so the
/// attention factor never depends on the current sequence length; for LongRoPE a top-level
/// `original_max_position_embeddings` makes s that ratio even with a factor, as in transformers. Anything it cannot
/// honour (an unknown type, partial rotary, YaRN settings without a value) is an error
/// (exit 65) naming the field.
public enum ModelRopeConfig {
    public static let supportedTypes = ["longrope", "su", "yarn", "linear", "dynamic", "default"]

    public static func load(_ path: String) throws -> RopeScaling {
        let source = "config \(path)"
        return try parse(FileManager.default.contents(atPath: path, naming: source), source: source)
    }

    public static func parse(_ data: Data, source: String) throws -> RopeScaling {
        let reader = JSONFieldReader(source: source)
        guard let root = try reader.parse(data) as? [String: Any] else {
            throw EngineError.data("\(source): expected a JSON object (a model's config.json)")
        }
        let scalingField = root["rope_scaling"] == nil && root["rope_parameters"] != nil ? "rope_parameters" : "rope_scaling"
        var params: [String: Any] = [:]
        if let value = root[scalingField], !(value is NSNull) {
            guard let object = value as? [String: Any] else { throw reader.fail(scalingField, "is not an object") }
            params = object
        }
        func field(_ name: String) -> String { "\(scalingField).\(name)" }
        func lookup(_ name: String) -> (value: Any?, field: String) {
            if let v = params[name], !(v is NSNull) { return (v, field(name)) }
            return (root[name], name)
        }

        let headDim = try readHeadDim(root, reader)
        let prf = lookup("partial_rotary_factor")
        if let f = try reader.number(prf.value, field: prf.field), f != 1 {
            throw reader.fail(prf.field, "= \(f) is not supported: attnscope rotates the whole head")
        }
        let theta = lookup("rope_theta")
        let base = try reader.number(theta.value, field: theta.field) ?? 10_000
        guard base > 1 else { throw reader.fail(theta.field, "= \(base) must be above 1") }

        let kind: RopeScalingKind
        if params.isEmpty {
            kind = .none
        } else {
            let typeField = params["rope_type"] != nil ? "rope_type" : "type"
            guard let name = try reader.string(params[typeField], field: field(typeField)) else {
                throw reader.fail(field("type"), "is missing (one of \(supportedTypes.joined(separator: ", ")))")
            }
            switch name {
            case "longrope", "su": kind = .longrope
            case "yarn": kind = .yarn
            case "linear": kind = .pi
            case "dynamic": kind = .dynamicNTK
            case "default": kind = .none
            default:
                throw reader.fail(field(typeField), "= '\(name)' is not a supported rope scaling type; attnscope reads \(supportedTypes.joined(separator: ", "))")
            }
        }

        let maxPositions = try reader.integer(root["max_position_embeddings"], field: "max_position_embeddings", range: RopeScaling.lengths)
        let originalEntry = lookup("original_max_position_embeddings")
        let statedOriginal = try reader.integer(originalEntry.value, field: originalEntry.field, range: RopeScaling.lengths)
        guard let original = statedOriginal ?? maxPositions else {
            throw EngineError.data("\(source): needs 'original_max_position_embeddings' or 'max_position_embeddings' (the trained length)")
        }
        let factor = try reader.number(params["factor"], field: field("factor"))
        if let f = factor, f <= 0 { throw reader.fail(field("factor"), "= \(f) must be positive") }

        var scaling = RopeScaling(kind: kind, headDim: headDim, base: base, original: original)
        scaling.source = source
        scaling.attentionFactor = try reader.number(params["attention_factor"], field: field("attention_factor"))
        if let af = scaling.attentionFactor, af <= 0 { throw reader.fail(field("attention_factor"), "= \(af) must be positive") }
        // The ratio of the extended to the trained length, when the config states both.
        let ratio = statedOriginal.flatMap { o in maxPositions.map { Double($0) / Double(o) } }
        switch kind {
        case .none:
            break
        case .pi, .ntk, .yarn:
            guard let s = factor ?? ratio else { throw reader.fail(field("factor"), "is missing (the extension ratio s)") }
            scaling.scale = s
        case .dynamicNTK:
            guard let alpha = factor else { throw reader.fail(field("factor"), "is missing (dynamic NTK's α)") }
            scaling.dynamicAlpha = alpha
        case .longrope:
            // transformers' `_compute_longrope_parameters` (4.x) takes s = max / original over
            // `factor` when original_max_position_embeddings is at the top level (Phi-3's way).
            let topLevelRatio = originalEntry.field == "original_max_position_embeddings" ? ratio : nil
            scaling.scale = topLevelRatio ?? factor ?? ratio ?? 1
            guard let long = try reader.positiveList(params["long_factor"], field: field("long_factor")) else {
                throw reader.fail(field("long_factor"), "is missing")
            }
            guard let short = try reader.positiveList(params["short_factor"], field: field("short_factor")) else {
                throw reader.fail(field("short_factor"), "is missing")
            }
            var factors = LongRoPEFactors(long: long, short: short, source: source)
            factors.longField = field("long_factor")
            factors.shortField = field("short_factor")
            factors.warnings = [(long, factors.longField), (short, factors.shortField)].compactMap { reader.monotonicityWarning($0, field: $1) }
            try factors.check(headDim: headDim)
            scaling.factors = factors
        }
        if kind == .yarn, let s = scaling.scale {
            scaling.yarn = try readYaRN(params, scale: s, attentionFactorStated: scaling.attentionFactor != nil, reader: reader, field: field)
        }
        if let m = maxPositions, m > original {
            scaling.target = m
        } else if let s = scaling.scale {
            scaling.target = Int((Double(original) * s).rounded())
        }
        return scaling
    }

    static func readHeadDim(_ root: [String: Any], _ reader: JSONFieldReader) throws -> Int {
        let limit = 1...RunSpec.limits.headDim.upperBound
        if let d = try reader.integer(root["head_dim"], field: "head_dim", range: limit) { return d }
        guard let hidden = try reader.integer(root["hidden_size"], field: "hidden_size", range: 1...Int(Int32.max)),
              let heads = try reader.integer(root["num_attention_heads"], field: "num_attention_heads", range: 1...Int(Int32.max)) else {
            throw EngineError.data("\(reader.source): needs 'head_dim', or 'hidden_size' and 'num_attention_heads', to know the head dim")
        }
        guard hidden % heads == 0, limit.contains(hidden / heads) else {
            throw reader.fail("hidden_size", "= \(hidden) is not a multiple of num_attention_heads = \(heads) giving a head dim in \(limit.lowerBound)…\(limit.upperBound)")
        }
        return hidden / heads
    }
}
