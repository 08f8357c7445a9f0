import Foundation

/// Turns a run spec into the inputs every variant shares: content from the workload
/// generator or from .npy files, then the run-level positional stage.
public enum InputPreparation {
    /// Inputs are first checked to fit in memory: generated ones by the spec's shape, files
    /// by their headers (`known`: the shape a caller already read, so they are not read again).
    public static func prepare(_ spec: RunSpec, shape known: AttentionShape? = nil) throws -> AttentionInputs {
        let s = try known ?? shape(spec)
        try MemoryBudget.require(MemoryBudget.inputBytes(s, rotated: spec.ropeSettings.mode == .standard, outputs: 0),
                                 for: "Q, K, V at N=\(s.seq), H=\(s.heads), G=\(s.kvHeads), d=\(s.headDim)",
                                 remedy: spec.inputs == nil ? "lower N, H, G or d" : "use inputs with fewer tokens or heads")
        guard let dir = spec.inputs else { return GeneratedInputs(spec: spec).segment(0..<spec.seq, threads: spec.threads) }
        var inputs = try load(directory: dir, causal: spec.causal)
        inputs.rope = spec.ropeSettings
        if let emb = rotation(inputs.rope, headDim: inputs.headDim) {
            inputs.q = emb.rotated(inputs.qContent, threads: spec.threads)
            inputs.k = emb.rotated(inputs.kContent, threads: spec.threads)
        }
        return inputs
    }

    /// The shape the inputs will have: the spec's, or with `--inputs` the files' (H from
    /// q.npy, G from k.npy), read from their headers without loading them.
    public static func shape(_ spec: RunSpec) throws -> AttentionShape {
        guard let dir = spec.inputs else { return spec.shape }
        let (q, k, _) = try files(in: dir)
        let qs = try NPYFile.shape(path: q), ks = try NPYFile.shape(path: k)
        return AttentionShape(seq: qs.seq, heads: qs.heads, kvHeads: ks.heads, headDim: qs.headDim)
    }

    /// Whether outputs are saved as [N, D]: when q.npy is one, so that saved outputs have
    /// the layout of the inputs they came from.
    public static func outputsAreMatrices(_ spec: RunSpec) throws -> Bool {
        guard let dir = spec.inputs else { return false }
        return try NPYFile.rank(path: files(in: dir).q) == 2
    }

    /// The run-level rotation, nil when positions are not encoded (`--rope none`).
    static func rotation(_ rope: RopeSettings, headDim: Int) -> RotaryEmbedding? {
        rope.mode == .standard ? RotaryEmbedding(standard: rope, headDim: headDim) : nil
    }

    /// Reads `q.npy`, `k.npy`, `v.npy` from a directory ([H,N,D] / [G,N,D], or [N,D] for one head).
    public static func load(directory dir: String, causal: Bool) throws -> AttentionInputs {
        let (q, k, v) = try files(in: dir)
        let inputs = AttentionInputs(q: try NPYFile.read(path: q), k: try NPYFile.read(path: k), v: try NPYFile.read(path: v),
                                     causal: causal)
        try inputs.validate(source: "--inputs \(dir)")
        return inputs
    }

    /// The paths of q.npy, k.npy and v.npy in `dir`, which must be a directory.
    static func files(in dir: String) throws -> (q: String, k: String, v: String) {
        guard FileManager.default.directoryExists(atPath: dir) else {
            let found = FileManager.default.fileExists(atPath: dir)
            throw EngineError.data("--inputs \(dir): \(found ? "is a file; give the directory that holds q.npy, k.npy and v.npy" : "no such directory")")
        }
        return (dir + "/q.npy", dir + "/k.npy", dir + "/v.npy")
    }
}
