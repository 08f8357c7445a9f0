import Foundation

/// Everything that defines a comparison: shape, inputs, positional stage, method variants
/// and measurement settings. A preset is this, as JSON; CLI flags and the dashboard's form
/// edit the same fields. Same spec, same numbers (up to timing).
public struct RunSpec: Codable, Sendable, Equatable {
    public var name: String?
    public var seq: Int = 4096
    public var heads: Int = 8
    public var kvHeads: Int = 8
    public var headDim: Int = 128
    public var causal: Bool = true
    public var workload: WorkloadKind = .random
    public var seed: UInt64 = 1
    /// Directory with q.npy, k.npy, v.npy, or a .safetensors file with q, k, v
    /// (`InputFiles`); when set, the shape comes from the files.
    public var inputs: String?
    /// nil: the workload's default (standard RoPE for generated LLM-like content, none otherwise).
    public var rope: RopeSettings.Mode?
    public var ropeBase: Double = 10_000
    public var ropeStyle: RopeSettings.Style = .half
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    public var `repeat`: Int = 3
    public var warmup: Int = 1
    public var referenceRows: ReferenceRows = .automatic
    public var methods: [MethodSpec] = [MethodSpec(method: "flash")]

    public init() {}

    /// The shape to generate (with `inputs`, the files' shape decides instead).
    public var shape: AttentionShape { AttentionShape(seq: seq, heads: heads, kvHeads: kvHeads, headDim: headDim) }

    /// The positional stage this spec asks for, with the workload's default filled in.
    public var ropeSettings: RopeSettings {
        RopeSettings(mode: rope ?? (inputs == nil ? workload.defaultRope : .none), base: ropeBase, style: ropeStyle)
    }

    private func check(_ ok: Bool, _ message: String) throws { if !ok { throw EngineError.usage(message) } }

    public static let limits = (seq: 1...(1 << 24), heads: 1...1024, headDim: 1...1024, threads: 1...256, repeats: 1...10_000)

    /// Checks ranges and cross-field rules; errors name the flag (and preset field).
    public func validate() throws {
        try validateSetup()
        try validateMethods()
    }

    /// The shape, threads, timing and reference fields.
    public func validateSetup() throws {
        if inputs == nil {
            try check(RunSpec.limits.seq.contains(seq), "--seq \(seq) is out of range: sequence length must be 1…\(RunSpec.limits.seq.upperBound)")
            try check(RunSpec.limits.heads.contains(heads), "--heads \(heads) is out of range: 1…\(RunSpec.limits.heads.upperBound)")
            try check(RunSpec.limits.heads.contains(kvHeads), "--kv-heads \(kvHeads) is out of range: 1…\(RunSpec.limits.heads.upperBound)")
            try check(heads % kvHeads == 0, "--heads \(heads) is not a multiple of --kv-heads \(kvHeads) (grouped-query attention needs H = k·G)")
            try check(RunSpec.limits.headDim.contains(headDim), "--head-dim \(headDim) is out of range: 1…\(RunSpec.limits.headDim.upperBound)")
        }
        try check(RunSpec.limits.threads.contains(threads), "--threads \(threads) is out of range: 1…\(RunSpec.limits.threads.upperBound)")
        try check(RunSpec.limits.repeats.contains(`repeat`), "--repeat \(`repeat`) is out of range: 1…\(RunSpec.limits.repeats.upperBound)")
        try check((0...1000).contains(warmup), "--warmup \(warmup) is out of range: 0…1000")
        try check(ropeBase > 1 && ropeBase.isFinite, "--rope-base \(ropeBase) must be a finite number above 1")
        if case .count(let k) = referenceRows { try check(k >= 1, "--reference-rows \(k) must be at least 1 (or 'all')") }
    }

    /// The method variants: at least one, labels one line each and distinct, keys known and in range.
    public func validateMethods() throws {
        try check(!methods.isEmpty, "no methods to compare: give at least one --method")
        var labels = Set<String>()
        for m in methods {
            // A label is a table cell, a CSV field and a dashboard row: it must show as one line.
            try check(!m.label.isEmpty && !m.label.unicodeScalars.contains { $0.properties.generalCategory == .control },
                      "method '\(m.method)': label \(m.label.debugDescription) must be non-empty text without tabs, newlines or other control characters")
            try check(labels.insert(m.label).inserted, "two methods share the label '\(m.label)': give one of them label=NAME")
            _ = try MethodRegistry.make(m)
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, seq, heads, kvHeads = "kv_heads", headDim = "head_dim", causal, workload, seed, inputs
        case rope, ropeBase = "rope_base", ropeStyle = "rope_style", threads, `repeat`, warmup
        case referenceRows = "reference_rows", methods
    }

    /// Missing fields keep their defaults, so a preset need only say what differs; an
    /// unknown field is an error rather than a silently ignored typo.
    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownFields(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, into value: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
        }
        func readWhole<T: FixedWidthInteger & Decodable>(_ key: CodingKeys, into value: inout T) throws {
            if let v = try c.decodeWholeIfPresent(T.self, forKey: key) { value = v }
        }
        name = try c.decodeIfPresent(String.self, forKey: .name)
        try readWhole(.seq, into: &seq); try readWhole(.heads, into: &heads)
        kvHeads = heads  // as on the command line, G follows H unless given (multi-head attention)
        try readWhole(.kvHeads, into: &kvHeads)
        try readWhole(.headDim, into: &headDim); try read(.causal, into: &causal); try read(.workload, into: &workload)
        try readWhole(.seed, into: &seed)
        inputs = try c.decodeIfPresent(String.self, forKey: .inputs)
        // The files give the shape and the content, so these fields would be ignored; the
        // command line refuses the same combination.
        if inputs != nil, let field = [CodingKeys.seq, .heads, .kvHeads, .headDim, .workload].first(where: c.contains) {
            throw DecodingError.dataCorruptedError(forKey: field, in: c,
                debugDescription: "cannot be given with 'inputs': the files give the shape and the content")
        }
        rope = try c.decodeIfPresent(RopeSettings.Mode.self, forKey: .rope)
        try read(.ropeBase, into: &ropeBase); try read(.ropeStyle, into: &ropeStyle)
        try readWhole(.threads, into: &threads); try readWhole(.repeat, into: &`repeat`); try readWhole(.warmup, into: &warmup)
        try read(.referenceRows, into: &referenceRows); try read(.methods, into: &methods)
    }

    /// Every field, except that with `inputs` the shape and workload are left out: the files
    /// decide them, and a preset or JSON spec showing the defaults would misstate the run.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(name, forKey: .name)
        if inputs == nil {
            try c.encode(seq, forKey: .seq); try c.encode(heads, forKey: .heads); try c.encode(kvHeads, forKey: .kvHeads)
            try c.encode(headDim, forKey: .headDim); try c.encode(workload, forKey: .workload)
        }
        try c.encode(causal, forKey: .causal); try c.encode(seed, forKey: .seed); try c.encodeIfPresent(inputs, forKey: .inputs)
        try c.encodeIfPresent(rope, forKey: .rope); try c.encode(ropeBase, forKey: .ropeBase); try c.encode(ropeStyle, forKey: .ropeStyle)
        try c.encode(threads, forKey: .threads); try c.encode(`repeat`, forKey: .repeat); try c.encode(warmup, forKey: .warmup)
        try c.encode(referenceRows, forKey: .referenceRows); try c.encode(methods, forKey: .methods)
    }
}

/// How many query rows per head the float64 reference checks.
public enum ReferenceRows: Codable, Sendable, Equatable {
    /// Every row up to `automaticAllRowsLimit` tokens, `automaticSampledRows` sampled rows beyond.
    case automatic
    case all
    case count(Int)

    public static let automaticAllRowsLimit = 4096
    public static let automaticSampledRows = 256

    public init(parsing text: String) throws {
        switch text {
        case "all": self = .all
        case "auto": self = .automatic
        default:
            guard let k = Int(text), k >= 1 else { throw EngineError.usage("--reference-rows '\(text)' must be a positive whole number, 'auto' or 'all'") }
            self = .count(k)
        }
    }

    public var text: String {
        switch self {
        case .automatic: "auto"
        case .all: "all"
        case .count(let k): String(k)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let k = try? c.decode(Int.self), k >= 1 {
            self = .count(k)
        } else if let s = try? c.decode(String.self), let rows = try? ReferenceRows(parsing: s) {
            self = rows
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a whole number of at least 1, \"auto\" or \"all\"")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if case .count(let k) = self { try c.encode(k) } else { try c.encode(text) }
    }

    /// The query rows to check for a sequence of `seq` tokens: all, or `k` rows evenly
    /// spaced from the first to the last (both always included), the same for every head.
    public func rows(seq: Int) -> [Int] {
        let k: Int
        switch self {
        case .all: return Array(0..<seq)
        case .automatic: if seq <= ReferenceRows.automaticAllRowsLimit { return Array(0..<seq) }; k = ReferenceRows.automaticSampledRows
        case .count(let n): k = n
        }
        let k2 = max(k, 2)  // the first and the last rows are always checked
        if k2 >= seq { return Array(0..<seq) }
        var rows = (0..<k2).map { Int((Double($0) * Double(seq - 1) / Double(k2 - 1)).rounded()) }
        rows[0] = 0; rows[k2 - 1] = seq - 1
        return Array(Set(rows)).sorted()
    }
}
