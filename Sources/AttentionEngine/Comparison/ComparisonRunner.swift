import Foundation

/// What the runner tells its listener, in order: input preparation, the reference, then per
/// variant its start, progress and result. Events arrive on worker threads.
public enum RunEvent: Sendable {
    /// What the run is doing, for a person; long untimed stages (the streamed reference, a
    /// variant's preparation such as LongRoPE's search) repeat it with a percentage.
    case stage(String)
    case variantStarted(label: String)
    /// Fraction of this variant's warmup and timed runs done, in [0, 1].
    case progress(label: String, fraction: Double)
    case result(VariantResult)
}

/// One variant's row plus what the sinks may draw or save.
public struct VariantResult: Sendable {
    public var row: ResultRow
    public var coverage: CoverageMap?
    /// Share of entries served approximately (e.g. by Infini's memory); see `MethodOutput`.
    public var approximateCoverage: CoverageMap?
    /// The output tensor, kept only when the run asked for outputs (never in a streamed run).
    public var output: HeadTensor?
}

public struct ComparisonReport: Sendable {
    public var spec: RunSpec
    public var variants: [VariantResult]
    /// Exact attention mass pooled to the coverage grid, from the reference rows.
    public var attentionMap: CoverageMap
    public var rows: [ResultRow] { variants.map(\.row) }
}

/// Runs a comparison: prepares the shared inputs once, computes the float64 reference once,
/// then runs each variant in turn (warmup, then timed repeats) on `spec.threads` workers.
/// Variants run one after another, never at the same time, so no variant's timing is
/// disturbed by another's work. Runs that can stream do (see `ComparisonRunner+Streaming`).
public struct ComparisonRunner: Sendable {
    public var spec: RunSpec
    public var keepOutputs: Bool

    public init(spec: RunSpec, keepOutputs: Bool = false) {
        self.spec = spec
        self.keepOutputs = keepOutputs
    }

    /// What `run` establishes before it makes or reads anything: the variants and the shape
    /// (of the files, read from their headers, with `--inputs`), and whether the run streams.
    struct Plan {
        var variants: [(MethodSpec, any AttentionMethod)]
        var shape: AttentionShape
        var streaming: [(MethodSpec, any StreamingAttentionMethod)]?
    }

    /// Checks the spec, the methods' keys and files, every variant against the shape and
    /// mask, and the memory the run needs, without making or reading any tensor. A sweep
    /// checks all its lengths this way before the first one runs.
    public func check() throws { _ = try plan() }

    /// A variant's label and why it cannot run on a setup.
    public typealias UnrunnableVariant = (label: String, reason: EngineError)

    /// The variants that cannot run on this spec's shape, mask and positions, each with the
    /// reason: a bad key, a factor file for another head dim, `minference` without the causal
    /// mask. `run` refuses a spec with any of them (`check`); the dashboard runs the rest and
    /// shows these as skipped, so toggling the mask or the head dim does not fail every row.
    public func variantsThatCannotRun() throws -> [UnrunnableVariant] {
        try spec.validate()
        return try checkedVariants(InputPreparation.shape(spec)).compactMap { m, method in
            if case .failure(let e) = method { (m.label, e) } else { nil }
        }
    }

    /// Each variant built from its keys and checked against the shape and mask: the method,
    /// or the reason it cannot run. The one place that decides whether a variant can run.
    func checkedVariants(_ shape: AttentionShape) throws -> [(MethodSpec, Result<any AttentionMethod, EngineError>)] {
        try spec.methods.map { m in
            do {
                let method = try MethodRegistry.make(m)
                try method.check(shape, causal: spec.causal, rope: spec.ropeSettings)
                return (m, .success(method))
            } catch let e as EngineError {
                return (m, .failure(e))
            }
        }
    }

    func plan() throws -> Plan {
        try spec.validate()
        let shape = try InputPreparation.shape(spec)
        let variants = try checkedVariants(shape).map { m, method in (m, try method.get()) }
        let streaming = streamingVariants(variants)
        if let streaming {
            try requireStreamedMemory(shape, variants: streaming)
        } else {
            try requireMemory(shape, rotated: spec.ropeSettings.mode == .standard, variants: variants)
        }
        return Plan(variants: variants, shape: shape, streaming: streaming)
    }

    public func run(cancellation: CancellationFlag = CancellationFlag(),
                    listener: @escaping @Sendable (RunEvent) -> Void = { _ in }) throws -> ComparisonReport {
        let plan = try plan()
        if let streaming = plan.streaming {
            return try runStreamed(streaming, cancellation: cancellation, listener: listener)
        }
        let (variants, shape) = (plan.variants, plan.shape)
        listener(.stage("preparing inputs"))
        let inputs = try InputPreparation.prepare(spec, shape: shape)
        try cancellation.checkCancelled()
        // With --inputs the shape comes from the files: report that one, not the spec's defaults.
        var reported = spec
        (reported.seq, reported.heads, reported.kvHeads, reported.headDim) = (inputs.seq, inputs.heads, inputs.kvHeads, inputs.headDim)
        let rows = spec.referenceRows.rows(seq: inputs.seq)
        listener(.stage("float64 reference on \(rows.count) rows per head"))
        let reference = try Reference.compute(inputs, rows: rows, threads: spec.threads, cancellation: cancellation)
        var results: [VariantResult] = []
        for (methodSpec, method) in variants {
            let r = try runVariant(methodSpec, method, inputs: inputs, reference: reference,
                                   cancellation: cancellation, listener: listener)
            results.append(r)
            listener(.result(r))
        }
        return ComparisonReport(spec: reported, variants: results, attentionMap: reference.attentionMap)
    }

    /// Refuses a run whose inputs, outputs (one, or every variant's when they are kept),
    /// float64 reference and largest variant's copies of the inputs (variants run one at a
    /// time) cannot fit in memory together.
    func requireMemory(_ s: AttentionShape, rotated: Bool, variants: [(MethodSpec, any AttentionMethod)]) throws {
        let rows = spec.referenceRows.rows(seq: s.seq).count
        let outputs = keepOutputs ? spec.methods.count : 1
        let copies = variants.map { (label: $0.0.label, bytes: $0.1.copyBytes(s)) }.max { $0.bytes < $1.bytes }
        let copier = copies.flatMap { $0.bytes > 0 ? $0 : nil }
        let bytes = MemoryBudget.inputBytes(s, rotated: rotated, outputs: outputs)
            + Reference.bytes(heads: s.heads, rows: rows, seq: s.seq, dim: s.headDim, threads: spec.threads) + (copier?.bytes ?? 0)
        var parts = ["Q, K, V", outputs == 1 ? "an output" : "\(outputs) outputs", "the float64 reference on \(rows) rows per head"]
        var remedy = (spec.inputs == nil ? "lower N, H, G, d" : "use inputs with fewer tokens or heads") + " or the reference rows"
        if outputs > 1 { remedy += ", or save fewer variants' outputs" }
        if let copier {
            parts.append("\(copier.label)'s copies of the inputs")
            remedy += ", or leave out \(copier.label)"
        }
        let what = parts.dropLast().joined(separator: ", ") + " and " + parts.last!
        try MemoryBudget.require(bytes, for: what + " at N=\(s.seq), H=\(s.heads), G=\(s.kvHeads), d=\(s.headDim)", remedy: remedy)
    }

    func runVariant(_ m: MethodSpec, _ method: any AttentionMethod, inputs: AttentionInputs, reference: Reference,
                    cancellation: CancellationFlag, listener: @escaping @Sendable (RunEvent) -> Void) throws -> VariantResult {
        listener(.variantStarted(label: m.label))
        let label = m.label
        // Untimed preparation (LongRoPE's factor search) reports its progress as a stage.
        let preparation = RunContext(threads: spec.threads, seed: spec.seed, cancellation: cancellation) { f in
            listener(.stage("\(label): preparing, \(Int(f * 100))%"))
        }
        let method = try method.prepared(for: inputs, context: preparation)
        let runs = spec.warmup + spec.repeat
        var times: [Double] = []
        var last: MethodOutput?
        for run in 0..<runs {
            last = nil  // never hold two outputs at once: peak memory is one output plus scratch
            let context = RunContext(threads: spec.threads, seed: spec.seed, cancellation: cancellation) { f in
                listener(.progress(label: label, fraction: (Double(run) + f) / Double(runs)))
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let out = try method.run(inputs, context: context)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if run >= spec.warmup { times.append(elapsed) }
            last = out
        }
        guard let out = last else { throw EngineError.internal("variant \(m.label) produced no output") }
        let recall = out.selection.map { reference.recall(of: $0, inputs: inputs, threads: spec.threads) } ?? 1
        let dense = FlopCount.dense(seq: inputs.seq, headDim: inputs.headDim, heads: inputs.heads, causal: inputs.causal)
        let shape = inputs.shape
        let needle = inputs.annotations.needlePosition.map { NeedleRetrieval(values: inputs.v.gathering(rows: [$0])) }
        var result = result(m, out, sampledOutput: out.output.gathering(rows: reference.rows), reference: reference,
                            recall: recall, times: times, shape: shape, causal: inputs.causal, denseFlops: dense, needle: needle)
        if keepOutputs { result.output = out.output }
        return result
    }

    /// A variant's row from its last output (`sampledOutput`: its reference rows) and timings.
    func result(_ m: MethodSpec, _ out: MethodOutput, sampledOutput: HeadTensor, reference: Reference, recall: Double,
                times: [Double], shape: AttentionShape, causal: Bool, denseFlops: Int, needle: NeedleRetrieval?) -> VariantResult {
        let err = ErrorMetrics(sampledOutput: sampledOutput, reference: reference)
        var extras = out.extras
        if let bands = out.errorBands {
            extras.append(ResultExtra(bands.column, .series(ErrorMetrics.rmseByBand(
                sampledOutput: sampledOutput, reference: reference, rowsPerBand: bands.rowsPerBand, seq: shape.seq))))
        }
        if let needle {
            extras.append(ResultExtra("needle_retrieval", needle.measure(sampledOutput: sampledOutput, rows: reference.rows)))
        }
        let times = times.sorted()
        let row = ResultRow(
            label: m.label, method: m.method, seq: shape.seq, heads: shape.heads, kvHeads: shape.kvHeads,
            headDim: shape.headDim, causal: causal, workload: spec.inputs == nil ? spec.workload.rawValue : "inputs",
            seed: spec.seed, latencyMs: median(times), latencyMsMin: times[0], flops: out.flops, denseFlops: denseFlops,
            rmse: err.rmse, maxAbsErr: err.maxAbs, relL2Err: err.relL2, referenceRows: err.rows, recall: recall,
            memoryBytes: out.memoryBytes, threads: spec.threads, extras: extras)
        return VariantResult(row: row, coverage: out.coverage, approximateCoverage: out.approximateCoverage, output: nil)
    }

    func median(_ sorted: [Double]) -> Double {
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}
