import Foundation

/// `factors=FILE`: LongRoPE rescale factors as JSON, one per rotary pair (d/2 numbers).
///
/// - a list `[1.0, 1.02, …]`: the factors, used at every length;
/// - an object with `long_factor` (beyond the original length) and optionally
///   `short_factor` (up to it; missing means 1 everywhere), `nhat` (n̂), the lengths the
///   factors are for (`original_max_position_embeddings` L, `max_position_embeddings` L':
///   the defaults of `original=` and `target=`, so s = L'/L at every N) and
///   `attention_factor`. Phi-3.5's file and `attnscope rope search`'s output state all
///   of these. Other fields (the search's score and curve, Phi-3.5's source) are ignored.
///
/// Non-numeric, non-positive or missing factors are errors (exit 65) naming the field; a
/// list that decreases somewhere is only a warning.
public enum FactorFile {
    public static func load(_ path: String) throws -> LongRoPEFactors {
        let source = "factors \(path)"
        return try parse(FileManager.default.contents(atPath: path, naming: source), source: source)
    }

    public static func parse(_ data: Data, source: String) throws -> LongRoPEFactors {
        let reader = JSONFieldReader(source: source)
        let root = try reader.parse(data)
        var factors: LongRoPEFactors
        if root is [Any] {
            let list = try reader.positiveList(root, field: "(top level)")!
            factors = LongRoPEFactors(long: list, short: list, source: source)
            factors.longField = "(top level)"
            factors.shortField = "(top level)"
        } else if let object = root as? [String: Any] {
            guard let long = try reader.positiveList(object["long_factor"], field: "long_factor") else {
                throw EngineError.data("\(source): field 'long_factor' is missing (expected a list of factors, or an object with 'long_factor' and optionally 'short_factor')")
            }
            factors = LongRoPEFactors(long: long, short: try reader.positiveList(object["short_factor"], field: "short_factor"),
                                      nhat: try reader.integer(object["nhat"], field: "nhat", range: 0...RopeScaling.maxNhat),
                                      source: source)
            factors.original = try reader.integer(object["original_max_position_embeddings"], field: "original_max_position_embeddings", range: RopeScaling.lengths)
            factors.target = try reader.integer(object["max_position_embeddings"], field: "max_position_embeddings", range: RopeScaling.lengths)
            if let o = factors.original, let t = factors.target, t < o {
                throw reader.fail("max_position_embeddings", "= \(t) is below original_max_position_embeddings = \(o): the factors extend the trained length")
            }
            factors.attentionFactor = try reader.number(object["attention_factor"], field: "attention_factor")
            if let af = factors.attentionFactor, af <= 0 { throw reader.fail("attention_factor", "= \(af) must be positive") }
        } else {
            throw EngineError.data("\(source): expected a JSON list of factors or an object with 'long_factor', found \(JSONFieldReader.describe(root))")
        }
        // One factor per rotary pair: a list longer than the largest head has pairs fits no
        // input, and `rope show` would take its length as the head dim.
        for (list, field) in [(factors.long, factors.longField), (factors.short, factors.shortField)] {
            guard let count = list?.count, 2 * count > RunSpec.limits.headDim.upperBound else { continue }
            throw reader.fail(field, "has \(count) entries, which implies head dim \(2 * count) > \(RunSpec.limits.headDim.upperBound)")
        }
        var lists = [(factors.long, factors.longField)]
        if let short = factors.short, short != factors.long { lists.append((short, factors.shortField)) }
        factors.warnings = lists.compactMap { reader.monotonicityWarning($0, field: $1) }
        return factors
    }
}
