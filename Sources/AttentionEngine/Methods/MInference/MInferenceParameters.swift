/// The `minference` method's keys (`--method minference:key=value,...`), read and checked
/// once when the method is built. Sizes MInference clamps at run time (v ≥ 30, s ≥ 50,
/// top-k ≤ N/block) are clamped when the sequence length is known, not here.
public struct MInferenceParameters: Sendable, Equatable {
    /// Which pattern every head uses, or `auto` for the per-head search.
    public enum PatternChoice: String, CaseIterable, Sendable {
        case auto
        case aShape = "a-shape"
        case verticalSlash = "vertical-slash"
        case blockSparse = "block-sparse"
    }

    public var pattern: PatternChoice = .verticalSlash
    /// How Vertical-Slash heads compute their diagonals.
    public var slashMode: SlashMode = .block
    public var vertical = 1000
    public var slash = 6096
    public var lastQ = 64
    public var block = 64
    /// Key blocks per query block; nil means MInference's min(100, N / block).
    public var topK: Int?
    public var sink = 128
    public var local = 3968
    /// Per-head patterns read from `config=FILE` (layer `layer`), overriding `pattern`.
    public var config: PatternConfig?

    public init() {}

    public static let keys: [ParameterKey] = [
        ParameterKey("pattern", default: "vertical-slash", "auto (per-head search), a-shape, vertical-slash or block-sparse",
                     choices: PatternChoice.allCases.map(\.rawValue)),
        ParameterKey("vertical", default: "1000", "vertical-slash: key columns kept (v; clamped to 30…N)"),
        ParameterKey("slash", default: "6096", "vertical-slash: diagonals kept (s; clamped to 50…N)"),
        ParameterKey("slash_mode", default: "block", "vertical-slash: block (MInference's kernel: each diagonal as a range of `block` keys per query block) or exact (only the diagonal's own entries)",
                     choices: SlashMode.allCases.map(\.rawValue)),
        ParameterKey("last_q", default: "64", "vertical-slash: last queries used to estimate the index"),
        ParameterKey("block", default: "64", "query/key block size of the sparse kernel and of block-sparse pooling"),
        ParameterKey("top_k", default: "auto", "block-sparse: key blocks per query block (auto: min(100, N/block))"),
        ParameterKey("sink", default: "128", "a-shape: first keys every query sees (n_init)"),
        ParameterKey("local", default: "3968", "a-shape: causal window of recent keys (n_local)"),
        ParameterKey("config", default: "none", "MInference per-head pattern file (JSON list of layers); overrides pattern", file: true),
        ParameterKey("layer", default: "0", "which layer of the config file to use"),
    ]

    /// Reads the keys, naming the offending one in every error. `config=FILE` is loaded here,
    /// so a bad file fails before any work starts.
    public init(_ p: inout MethodParameters) throws {
        let big = 1...(1 << 24)
        if p.has("pattern") && p.has("config") {
            throw EngineError.usage("method 'minference': give either pattern= or config=, not both (the config sets each head's pattern)")
        }
        pattern = try p.choice("pattern", default: .verticalSlash)
        slashMode = try p.choice("slash_mode", default: .block)
        vertical = try p.int("vertical", default: vertical, range: big)
        slash = try p.int("slash", default: slash, range: big)
        lastQ = try p.int("last_q", default: lastQ, range: 1...4096)
        block = try p.int("block", default: block, range: 16...512)
        topK = try p.optionalInt("top_k", range: big, unset: "auto")
        sink = try p.int("sink", default: sink, range: 0...(1 << 24))
        local = try p.int("local", default: local, range: big)
        let layer = try p.int("layer", default: 0, range: 0...100_000)
        if let path = p.string("config") {
            config = try PatternConfig.load(path: path, layer: layer)
        } else if p.has("layer") {
            throw EngineError.usage("method 'minference': key 'layer' needs config=FILE")
        }
        // A size the chosen pattern never reads is a mistake, not something to ignore silently.
        let (setting, unused): (String, [String]) = switch config == nil ? pattern : nil {
        case .aShape?: ("pattern=a-shape", ["vertical", "slash", "slash_mode", "last_q", "top_k"])
        case .verticalSlash?: ("pattern=vertical-slash", ["top_k", "sink", "local"])
        case .blockSparse?: ("pattern=block-sparse", ["vertical", "slash", "slash_mode", "last_q", "sink", "local"])
        case .auto?: ("pattern=auto (its candidates have their own sizes and MInference's block kernel)", ["vertical", "slash", "slash_mode", "sink", "local"])
        case nil: ("config= (the file sets each head's sizes)", ["vertical", "slash", "sink", "local"])
        }
        if let key = unused.first(where: p.has) {
            throw EngineError.usage("method 'minference': key '\(key)' has no effect with \(setting)")
        }
    }

    /// The pattern head `head` runs with at sequence length `seq`, or nil for the search.
    func pattern(head: Int, seq: Int) -> SparsePattern? {
        if let config { return config.pattern(head: head, topK: defaultTopK(seq: seq)) }
        switch pattern {
        case .auto: return nil
        case .aShape: return .aShape(sink: sink, local: local)
        case .verticalSlash: return .verticalSlash(vertical: vertical, slash: slash)
        case .blockSparse: return .blockSparse(topK: defaultTopK(seq: seq))
        }
    }

    /// `top_k` as given, or MInference's min(100, N / block).
    func defaultTopK(seq: Int) -> Int { topK ?? max(1, min(100, seq / block)) }
}

/// How a Vertical-Slash head's diagonals become computed entries.
public enum SlashMode: String, CaseIterable, Sendable {
    /// MInference's kernel: each diagonal is a range of `block` keys for each query block,
    /// overlapping ranges merged (coarser, but dense tiles).
    case block
    /// Only the diagonal's own entries, one per query row (finer coverage, a different kernel).
    case exact
}
