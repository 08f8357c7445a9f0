import Foundation

/// Turns a run spec into the inputs every variant shares: content from the workload
/// generator or from .npy files, then the run-level positional stage.
public enum InputPreparation {
    public static func prepare(_ spec: RunSpec) throws -> AttentionInputs {
        let rope = spec.ropeSettings
        var inputs: AttentionInputs
        if let dir = spec.inputs {
            inputs = try load(directory: dir, causal: spec.causal)
        } else {
            let shape = AttentionShape(seq: spec.seq, heads: spec.heads, kvHeads: spec.kvHeads, headDim: spec.headDim)
            let gen = spec.workload.generator(rope: rope)
            inputs = AttentionInputs(
                q: gen.tensor(.q, shape: shape, seed: spec.seed, threads: spec.threads),
                k: gen.tensor(.k, shape: shape, seed: spec.seed, threads: spec.threads),
                v: gen.tensor(.v, shape: shape, seed: spec.seed, threads: spec.threads),
                causal: spec.causal, annotations: gen.annotations(shape: shape, seed: spec.seed))
        }
        inputs.rope = rope
        if rope.mode == .standard {
            let emb = RotaryEmbedding(standard: rope, headDim: inputs.headDim)
            inputs.q = emb.rotated(inputs.qContent, threads: spec.threads)
            inputs.k = emb.rotated(inputs.kContent, threads: spec.threads)
        }
        return inputs
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
