import Foundation

/// Streamed runs: when the workload is generated (not `--inputs`), every variant can stream
/// and at least one streams every row (`StreamScope.everyRow`, e.g. `infini`), the runner
/// never builds whole Q, K, V or O. The generator produces each segment on demand (any row
/// range can be regenerated alone), so:
///
///  - the float64 reference runs first, on the reference rows, in one pass over the key
///    segments (`StreamingReference`), also measuring each variant's `recall` from the
///    keys it declares it computes exactly;
///  - each run of each variant regenerates the segments and feeds them to a fresh stream.
///    Latency counts the stream's own work (`consume` and `finish`), not input generation;
///  - outputs are kept on the reference rows only, which is all the metrics use. There is
///    no whole output to save (`streams(_:)` lets the CLI refuse `--save-outputs` up front).
///
/// Variants with `.sampledRows` (flash) compute just the reference rows: their FLOPs and
/// latency are those of the rows computed, and `dense_flops` is the exact cost of those
/// same rows, so `flops_saved` is 0 and no saving is implied.
extension ComparisonRunner {
    /// Keys per segment of the reference's pass.
    static let referenceSegment = 4096

    /// Whether `spec` runs streamed.
    public static func streams(_ spec: RunSpec) throws -> Bool {
        let variants = try spec.methods.map { ($0, try MethodRegistry.make($0)) }
        return ComparisonRunner(spec: spec).streamingVariants(variants) != nil
    }

    /// The variants as streaming methods, if this run streams.
    func streamingVariants(_ variants: [(MethodSpec, any AttentionMethod)]) -> [(MethodSpec, any StreamingAttentionMethod)]? {
        guard spec.inputs == nil else { return nil }
        let streaming = variants.compactMap { m, method in (method as? any StreamingAttentionMethod).map { (m, $0) } }
        guard streaming.count == variants.count, streaming.contains(where: { $0.1.streamScope == .everyRow }) else { return nil }
        return streaming
    }

    /// Refuses a streamed run whose reference state and reference rows, with the largest of
    /// the segments streamed (the reference's, or a variant's with what its stream holds),
    /// cannot fit in memory.
    func requireStreamedMemory(_ shape: AttentionShape, variants: [(MethodSpec, any StreamingAttentionMethod)]) throws {
        let rows = spec.referenceRows.rows(seq: shape.seq).count
        // The reference's state, plus in Float the rows' queries and each variant's output on them.
        let rowTensors = MemoryLayout<Float>.size * shape.heads * rows * shape.headDim * (1 + variants.count)
        let kept = StreamingReference.bytes(shape: shape, rows: rows, selections: variants.count,
                                            segment: min(Self.referenceSegment, shape.seq)) + rowTensors
        func segmentInputs(_ length: Int) -> Int {
            var s = shape
            s.seq = length
            return MemoryBudget.inputBytes(s, rotated: spec.ropeSettings.mode == .standard, outputs: 0)
        }
        let streams = variants.map { m, method in
            (label: m.label, bytes: segmentInputs(method.streamSegmentLength(seq: shape.seq))
                + method.streamBytes(shape: shape, rows: rows, threads: spec.threads))
        }
        let largest = streams.max { $0.bytes < $1.bytes }!
        let referenceSegment = segmentInputs(min(Self.referenceSegment, shape.seq))
        let what = "the streamed float64 reference on \(rows) rows per head and "
            + (largest.bytes > referenceSegment ? "\(largest.label)'s segments" : "its segments") + " at H=\(shape.heads), d=\(shape.headDim)"
        try MemoryBudget.require(kept + max(largest.bytes, referenceSegment), for: what,
                                 remedy: "lower the reference rows, H or d" + (largest.bytes > referenceSegment ? ", or \(largest.label)'s segment" : ""))
    }

    func runStreamed(_ variants: [(MethodSpec, any StreamingAttentionMethod)], cancellation: CancellationFlag,
                     listener: @escaping @Sendable (RunEvent) -> Void) throws -> ComparisonReport {
        let source = GeneratedInputs(spec: spec)
        let shape = source.shape, threads = spec.threads
        let rows = spec.referenceRows.rows(seq: shape.seq)
        listener(.stage("streaming \(shape.seq) tokens: generating the \(rows.count) reference rows"))
        let setup = StreamSetup(shape: shape, causal: spec.causal, rows: rows, queries: source.rows(rows, threads: threads).q,
                                annotations: source.annotations)
        let needle = source.annotations.needlePosition.map { NeedleRetrieval(values: source.rows([$0], threads: threads).v) }
        let stage = "float64 reference on \(rows.count) rows per head, streamed"
        listener(.stage(stage))
        let referencePass = StreamingReference(
            setup: setup, selections: variants.map { $0.1.streamedSelection(shape: shape, causal: spec.causal) })
        var buffer: AttentionInputs?
        var percent = 0
        for segment in rowRanges(seq: shape.seq, length: Self.referenceSegment) {
            source.segment(segment, threads: threads, reusing: &buffer)
            try referencePass.consume(buffer!, firstRow: segment.lowerBound, threads: threads, cancellation: cancellation)
            let done = segment.upperBound * 100 / shape.seq
            if done > percent && done < 100 { percent = done; listener(.stage("\(stage): \(done)%")) }
        }
        buffer = nil
        let (reference, recalls) = referencePass.finish()
        var results: [VariantResult] = []
        for (index, (m, method)) in variants.enumerated() {
            listener(.variantStarted(label: m.label))
            let (out, times) = try runStream(m, method, setup: setup, source: source, cancellation: cancellation, listener: listener)
            let dense = method.streamScope == .everyRow
                ? FlopCount.dense(seq: shape.seq, headDim: shape.headDim, heads: shape.heads, causal: spec.causal)
                : FlopCount.dense(rows: rows, seq: shape.seq, headDim: shape.headDim, heads: shape.heads, causal: spec.causal)
            let r = result(m, out, sampledOutput: out.output, reference: reference, recall: recalls[index] ?? 1,
                           times: times, shape: shape, causal: spec.causal, denseFlops: dense, needle: needle)
            results.append(r)
            listener(.result(r))
        }
        return ComparisonReport(spec: spec, variants: results, attentionMap: reference.attentionMap)
    }

    /// Warmup and timed runs of one streaming variant: its last output and the timed latencies (ms).
    func runStream(_ m: MethodSpec, _ method: any StreamingAttentionMethod, setup: StreamSetup, source: GeneratedInputs,
                   cancellation: CancellationFlag, listener: @escaping @Sendable (RunEvent) -> Void) throws -> (MethodOutput, [Double]) {
        let runs = spec.warmup + spec.repeat, seq = setup.shape.seq
        var times: [Double] = []
        var last: MethodOutput?
        var buffer: AttentionInputs?
        for run in 0..<runs {
            last = nil
            let context = RunContext(threads: spec.threads, seed: spec.seed, cancellation: cancellation)
            var elapsed = 0.0
            func timed<T>(_ body: () throws -> T) rethrows -> T {
                let start = DispatchTime.now().uptimeNanoseconds
                defer { elapsed += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 }
                return try body()
            }
            let stream = try timed { try method.makeStream(setup, context: context) }
            for segment in method.streamSegments(seq: seq) {
                source.segment(segment, threads: spec.threads, reusing: &buffer)
                try timed { try stream.consume(buffer!, firstRow: segment.lowerBound) }
                listener(.progress(label: m.label, fraction: (Double(run) + Double(segment.upperBound) / Double(seq)) / Double(runs)))
            }
            last = try timed { try stream.finish() }
            if run >= spec.warmup { times.append(elapsed) }
        }
        guard let out = last else { throw EngineError.internal("variant \(m.label) produced no output") }
        return (out, times)
    }
}
