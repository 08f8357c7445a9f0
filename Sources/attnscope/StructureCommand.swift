import ArgumentParser
import AttentionEngine
import Foundation

/// `attnscope structure`: what the exact attention of a setup's inputs looks like, so the
/// sparsity a method exploits can be checked on the inputs themselves (README, "Measured
/// structure"). Runs no method.
struct StructureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "structure",
        abstract: "Measure the exact attention of a setup's inputs on sampled rows: how concentrated each head is and where its mass goes.",
        discussion: """
            The inputs come from the same setup flags as `attnscope run` (--workload, --seq, --heads, --head-dim, --seed, --inputs, --preset …). Per head, in float64 on the sampled rows: row entropy (nats, and as a share of ln of the keys the row sees), the largest probability, and the keys holding 90% of the mass.

            For generated inputs the mass is also split over the `llm` generator's features for the same seed and shape (disjoint, in this order): the `needle` workload's planted key, sink keys 0–3, the window of 64 keys ending at the query, stripe keys, slash lines (±2 keys around each of the head's offsets), same-topic keys (topic heads) and ordinary keys. Lift is the median over rows of a class's mass per key over an ordinary key's (needle, sinks and window: over the uniform share). On `random` the same keys show no lift.

            Only the last 64 queries look for the needle: measure them with --from N−64 --rows 64.

            Examples:
              attnscope structure --workload llm --seq 131072 --heads 8 --kv-heads 4
              attnscope structure --workload needle --seq 4096 --from 4032 --rows 64
            """)

    @OptionGroup var setup: RunOptions
    @Option(parsing: .unconditional, help: "Query rows sampled per head, evenly spaced from --from to N − 1.") var rows = 16
    @Option(name: .customLong("from"), parsing: .unconditional, help: "First sampled row (default N/16).") var from: Int?
    @Flag(help: "Print JSON instead of the tables.") var json = false

    func run() throws {
        do {
            try setup.rejectRunOnlyFlags(in: "structure")
            let spec = try setup.spec()
            guard (1...4096).contains(rows) else { throw EngineError.usage("--rows \(rows) is out of range: 1…4096") }
            let start = DispatchTime.now().uptimeNanoseconds
            let inputs = try InputPreparation.prepare(spec)
            let inputsMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if let from, !(0..<inputs.seq).contains(from) {
                throw EngineError.usage("--from \(from) is out of range: 0…\(inputs.seq - 1)")
            }
            let shape = inputs.shape
            let features = spec.inputs == nil
                ? LLMFeatureKeys(workload: LLMWorkload(rope: spec.ropeSettings), shape: shape, seed: spec.seed,
                                 needle: inputs.annotations.needlePosition) : nil
            let sampled = AttentionStructure.sampledRows(seq: inputs.seq, first: from ?? inputs.seq / 16, count: rows)
            let cancellation = CancellationFlag()
            let interrupt = InterruptHandler { cancellation.cancel() }
            defer { interrupt.restore() }
            let structure = try AttentionStructure(inputs, rows: sampled, features: features, threads: spec.threads,
                                                   cancellation: cancellation)
            let report = StructureReport(spec: spec, inputs: inputs, inputsMs: inputsMs, features: features, structure: structure)
            if json {
                StandardStreams.output(try report.json())
            } else {
                StandardStreams.output(report.text())
            }
        } catch {
            throw reportedExit(error)
        }
    }
}
