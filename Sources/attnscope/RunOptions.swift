import ArgumentParser
import AttentionEngine

extension WorkloadKind: ExpressibleByArgument {}
extension RopeSettings.Mode: ExpressibleByArgument {}
extension RopeSettings.Style: ExpressibleByArgument {}

/// The flags that set up a comparison; each overrides the same field of `--preset`.
struct RunOptions: ParsableArguments {
    @Option(help: "Preset: a name from `attnscope presets` or a file (a run spec as JSON); flags given here override it.")
    var preset: String?
    @Option(parsing: .unconditional, help: "Sequence length N (tokens).") var seq: Int?
    @Option(parsing: .unconditional, help: "Query heads H.") var heads: Int?
    @Option(name: .customLong("kv-heads"), parsing: .unconditional, help: "Key/value heads G (H must be a multiple of G).") var kvHeads: Int?
    @Option(name: .customLong("head-dim"), parsing: .unconditional, help: "Head dimension d.") var headDim: Int?
    @Flag(inversion: .prefixedNo, help: "Causal mask.") var causal: Bool?
    @Option(help: "Synthetic workload: \(WorkloadKind.allCases.map(\.rawValue).joined(separator: ", ")).") var workload: WorkloadKind?
    @Option(parsing: .unconditional, help: "Seed of every random draw: a whole number 0…18446744073709551615.") var seed: UInt64?
    @Option(help: "Directory with q.npy [H,N,D], k.npy and v.npy [G,N,D] (float32/16/64, C order), or a .safetensors file with tensors q, k, v (F32/F16/BF16/F64).") var inputs: String?
    @Option(help: "Positional stage: none or standard (RoPE). Default: the workload's.") var rope: RopeSettings.Mode?
    @Option(name: .customLong("rope-base"), parsing: .unconditional, help: "RoPE base θ.") var ropeBase: Double?
    @Option(name: .customLong("rope-style"), help: "RoPE dimension pairing: half (Llama/NeoX) or interleaved (GPT-J).") var ropeStyle: RopeSettings.Style?
    @Option(parsing: .unconditional, help: "Worker threads.") var threads: Int?
    @Option(parsing: .unconditional, help: "Timed runs per variant (median and min reported).") var `repeat`: Int?
    @Option(parsing: .unconditional, help: "Untimed runs before the timed ones.") var warmup: Int?
    @Option(name: .customLong("reference-rows"), parsing: .unconditional, help: "Query rows per head checked in float64: a number, auto or all.") var referenceRows: String?
    @Option(name: .customLong("method"), help: "NAME[:key=value,...] (repeatable; key=\"a,b\" for a value with commas). Methods: \(MethodRegistry.all.map(\.name).joined(separator: ", ")).")
    var methods: [String] = []

    /// The flags given on the command line (`--preset` aside), by name.
    var typedFlags: Set<String> {
        let given: [(String, Bool)] = [
            ("--seq", seq != nil), ("--heads", heads != nil), ("--kv-heads", kvHeads != nil), ("--head-dim", headDim != nil),
            ("--causal", causal != nil), ("--workload", workload != nil), ("--seed", seed != nil), ("--inputs", inputs != nil),
            ("--rope", rope != nil), ("--rope-base", ropeBase != nil), ("--rope-style", ropeStyle != nil),
            ("--threads", threads != nil), ("--repeat", `repeat` != nil), ("--warmup", warmup != nil),
            ("--reference-rows", referenceRows != nil), ("--method", !methods.isEmpty)]
        return Set(given.filter(\.1).map(\.0))
    }

    /// For subcommands that only prepare inputs: a flag that sets up timed method runs is a
    /// usage error there, named so the user knows it was not silently ignored.
    func rejectRunOnlyFlags(in command: String) throws {
        if let flag = ["--method", "--repeat", "--warmup", "--reference-rows"].first(where: typedFlags.contains) {
            throw EngineError.usage("\(flag) has no meaning for \(command)")
        }
    }

    /// The file of `--preset` (else `fallbackPreset`), if any.
    func presetFile(presets: PresetLibrary? = nil, fallbackPreset: String? = nil) throws -> String? {
        try (preset ?? fallbackPreset).map { try (presets ?? PresetLibrary(presetsDirectory: nil)).path(of: $0) }
    }

    /// The preset (`--preset`, else `fallbackPreset`, else the defaults) with every given
    /// flag applied, validated.
    func spec(presets: PresetLibrary? = nil, fallbackPreset: String? = nil) throws -> RunSpec {
        // The shipped presets are looked for only when a preset is named.
        try spec(presetPath: presetFile(presets: presets, fallbackPreset: fallbackPreset))
    }

    /// The same from the preset file already looked up (`presetFile`), for a caller that needs its path too.
    func spec(presetPath: String?) throws -> RunSpec {
        var s = try presetPath.map(PresetFile.load) ?? RunSpec()
        // Inputs from files (--inputs, or the preset's) fix the shape and the content: a flag
        // that sets either would be ignored, so it is refused instead.
        if let files = inputs ?? s.inputs,
           let flag = ["--seq", "--heads", "--kv-heads", "--head-dim", "--workload"].first(where: typedFlags.contains) {
            let source = inputs == nil ? "the preset's inputs \(files)" : "--inputs"
            throw EngineError.usage("\(flag) cannot be combined with \(source): the files give the shape and the content")
        }
        if let v = seq { s.seq = v }
        if let v = heads {
            // G follows H, as in a preset without kv_heads, unless the preset groups its heads.
            if kvHeads == nil && s.kvHeads == s.heads { s.kvHeads = v }
            s.heads = v
        }
        if let v = kvHeads { s.kvHeads = v }
        if let v = headDim { s.headDim = v }
        if let v = causal { s.causal = v }
        if let v = workload { s.workload = v }
        if let v = seed { s.seed = v }
        if let v = inputs { s.inputs = v }
        if let v = rope { s.rope = v }
        if let v = ropeBase { s.ropeBase = v }
        if let v = ropeStyle { s.ropeStyle = v }
        if let v = threads { s.threads = v }
        if let v = `repeat` { s.repeat = v }
        if let v = warmup { s.warmup = v }
        if let v = referenceRows { s.referenceRows = try ReferenceRows(parsing: v) }
        if !methods.isEmpty { s.methods = try methods.map(MethodSpec.init(parsing:)) }
        do { try s.validateSetup() } catch let e as EngineError {
            throw presetPath.map { Self.naming(preset: $0, in: e, typed: typedFlags) } ?? e
        }
        do { try s.validateMethods() } catch let e as EngineError {
            // Without --method the variants, and so whatever is wrong with them, are the preset's.
            guard let presetPath, methods.isEmpty else { throw e }
            throw EngineError(e.kind, "preset \(presetPath): \(e.message)")
        }
        return s
    }

    /// `error` with the preset named when it blames a flag the user did not type: that value
    /// came from the preset, and "--seq 0 is out of range" alone would send them looking
    /// at their command line.
    static func naming(preset path: String, in error: EngineError, typed: Set<String>) -> EngineError {
        let flags = error.message.split(whereSeparator: { !($0.isLetter || $0 == "-") }).filter { $0.hasPrefix("--") }
        guard flags.contains(where: { !typed.contains(String($0)) }) else { return error }
        return EngineError(error.kind, "preset \(path): \(error.message)")
    }
}
