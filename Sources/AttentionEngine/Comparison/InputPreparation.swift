import Foundation

/// Turns a run spec into the inputs every variant shares: content from the workload
/// generator or from .npy files, then the run-level positional stage.
public enum InputPreparation {
    /// Generated inputs are first checked to fit in memory.
    public static func prepare(_ spec: RunSpec) throws -> AttentionInputs {
        guard let dir = spec.inputs else {
            let s = spec.shape
            try MemoryBudget.require(MemoryBudget.inputBytes(s, rotated: spec.ropeSettings.mode == .standard, outputs: 0),
                                     for: "Q, K, V at N=\(s.seq), H=\(s.heads), G=\(s.kvHeads), d=\(s.headDim)",
                                     remedy: "lower N, H, G or d")
            return GeneratedInputs(spec: spec).segment(0..<spec.seq, threads: spec.threads)
        }
        var inputs = try load(directory: dir, causal: spec.causal)
        inputs.rope = spec.ropeSettings
        if let emb = rotation(inputs.rope, headDim: inputs.headDim) {
            inputs.q = emb.rotated(inputs.qContent, threads: spec.threads)
            inputs.k = emb.rotated(inputs.kContent, threads: spec.threads)
        }
        return inputs
    }

    /// The run-level rotation, nil when positions are not encoded (`--rope none`).
    static func rotation(_ rope: RopeSettings, headDim: Int) -> RotaryEmbedding? {
        rope.mode == .standard ? RotaryEmbedding(standard: rope, headDim: headDim) : nil
    }

    /// Reads `q.npy`, `k.npy`, `v.npy` from a directory ([H,N,D] / [G,N,D], or [N,D] for one head).
    public static func load(directory dir: String, causal: Bool) throws -> AttentionInputs {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw EngineError.data("--inputs \(dir): no such directory")
        }
        let q = try NPYFile.read(path: dir + "/q.npy")
        let k = try NPYFile.read(path: dir + "/k.npy")
        let v = try NPYFile.read(path: dir + "/v.npy")
        let inputs = AttentionInputs(q: q, k: k, v: v, causal: causal)
        try inputs.validate(source: "--inputs \(dir)")
        return inputs
    }
}
