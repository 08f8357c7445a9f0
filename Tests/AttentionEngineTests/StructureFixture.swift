import AttentionEngine
import Foundation

/// The structure measurements `WorkloadTests` makes: 8 query heads on 4 kv heads, N = 4096,
/// d = 64, seed 1, rows from 256 on, every 29th, classes from the `llm` generator's features.
struct StructureFixture {
    let inputs: AttentionInputs
    let features: LLMFeatureKeys
    let structure: AttentionStructure
    var pooled: AttentionStructure.Summary { structure.pooled }

    static func spec(workload: WorkloadKind, seq: Int = 4096, rope: RopeSettings.Mode? = nil,
                     style: RopeSettings.Style = .half) -> RunSpec {
        var spec = RunSpec()
        spec.seq = seq; spec.heads = 8; spec.kvHeads = 4; spec.headDim = 64
        spec.workload = workload; spec.seed = 1; spec.rope = rope; spec.ropeStyle = style; spec.threads = 2
        return spec
    }

    init(workload: WorkloadKind, rope: RopeSettings.Mode? = nil, style: RopeSettings.Style = .half) throws {
        let spec = StructureFixture.spec(workload: workload, rope: rope, style: style)
        inputs = try InputPreparation.prepare(spec)
        let shape = spec.shape
        features = LLMFeatureKeys(workload: LLMWorkload(rope: spec.ropeSettings), shape: shape, seed: spec.seed)
        structure = try AttentionStructure(inputs, rows: Array(stride(from: 256, to: spec.seq, by: 29)), features: features, threads: 2)
    }

    func lift(_ c: LLMFeatureKeys.KeyClass) -> Double { pooled.lift(c) ?? .nan }
}
