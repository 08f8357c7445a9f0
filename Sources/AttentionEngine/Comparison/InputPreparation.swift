import Foundation

/// Turns a run spec into the inputs every variant shares: content from the workload
/// generator or from files (`InputFiles`), then the run-level positional stage.
public enum InputPreparation {
    /// Inputs are first checked to fit in memory: generated ones by the spec's shape, files
    /// by their headers (`known`: the shape a caller already read, so they are not read again).
    public static func prepare(_ spec: RunSpec, shape known: AttentionShape? = nil) throws -> AttentionInputs {
        let s = try known ?? shape(spec)
        try MemoryBudget.require(MemoryBudget.inputBytes(s, rotated: spec.ropeSettings.mode == .standard, outputs: 0),
                                 for: "Q, K, V at N=\(s.seq), H=\(s.heads), G=\(s.kvHeads), d=\(s.headDim)",
                                 remedy: spec.inputs == nil ? "lower N, H, G or d" : "use inputs with fewer tokens or heads")
        guard let dir = spec.inputs else { return GeneratedInputs(spec: spec).segment(0..<spec.seq, threads: spec.threads) }
        var inputs = try load(dir, causal: spec.causal)
        inputs.rope = spec.ropeSettings
        if let emb = rotation(inputs.rope, headDim: inputs.headDim) {
            inputs.q = emb.rotated(inputs.qContent, threads: spec.threads)
            inputs.k = emb.rotated(inputs.kContent, threads: spec.threads)
        }
        return inputs
    }

    /// The shape the inputs will have: the spec's, or with `--inputs` the files' (H from Q,
    /// G from K), read from their headers without loading them.
    public static func shape(_ spec: RunSpec) throws -> AttentionShape {
        guard let path = spec.inputs else { return spec.shape }
        let l = try InputFiles(path).layouts()
        return AttentionShape(seq: l[0].seq, heads: l[0].heads, kvHeads: l[1].heads, headDim: l[0].dim)
    }

    /// Whether outputs are saved as [N, D]: when Q is one, so that saved outputs have the
    /// layout of the inputs they came from.
    public static func outputsAreMatrices(_ spec: RunSpec) throws -> Bool {
        guard let path = spec.inputs else { return false }
        return try InputFiles(path).layouts()[0].rank == 2
    }

    /// The run-level rotation, nil when positions are not encoded (`--rope none`).
    static func rotation(_ rope: RopeSettings, headDim: Int) -> RotaryEmbedding? {
        rope.mode == .standard ? RotaryEmbedding(standard: rope, headDim: headDim) : nil
    }

    /// Reads Q, K and V from `--inputs` (`InputFiles`: a directory of .npy files or one
    /// .safetensors file).
    public static func load(_ path: String, causal: Bool) throws -> AttentionInputs {
        let t = try InputFiles(path).read()
        let inputs = AttentionInputs(q: t[0], k: t[1], v: t[2], causal: causal)
        try inputs.validate(source: "--inputs \(path)")
        return inputs
    }
}
