/// `attnscope run --export-config FILE`: the per-head patterns a `minference` variant with
/// `pattern=auto` found, written as a one-layer MInference config (score = the search's
/// relative output error on its sampled rows), ready for `config=FILE`.
extension PatternConfig {
    /// Fails before any work starts when no variant would search.
    public static func checkExportable(_ methods: [MethodSpec]) throws {
        guard methods.contains(where: searches) else {
            throw EngineError.usage("--export-config needs a variant 'minference:pattern=auto' (only the search finds per-head patterns to export)")
        }
    }

    /// The file text for the first searching variant's row.
    public static func exportText(rows: [ResultRow], methods: [MethodSpec]) throws -> String {
        guard let spec = methods.first(where: searches), let row = rows.first(where: { $0.label == spec.label }),
              case .list(let labels)? = row.value(of: "pattern"), case .numbers(let errors)? = row.value(of: "search_err") else {
            throw EngineError.internal("--export-config: no searched patterns in the results")
        }
        let heads = try zip(labels, errors).map { label, error in
            guard let p = SparsePattern(label: label) else { throw EngineError.internal("--export-config: unreadable pattern '\(label)'") }
            return (pattern: p, score: error.isFinite ? error : 0)
        }
        return encode(layers: [heads])
    }

    private static func searches(_ m: MethodSpec) -> Bool {
        m.method == MInferenceAttention.descriptor.name && m.params["pattern"] == MInferenceParameters.PatternChoice.auto.rawValue
    }
}
