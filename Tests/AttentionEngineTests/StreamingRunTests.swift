import AttentionEngine
import TestSupport
import XCTest

/// Streamed runs give what in-memory runs give: the same inputs piece by piece, the same
/// reference, the same Infini output on the reference rows, exact flash on those rows.
final class StreamingRunTests: XCTestCase {
    /// An awkward streamed setup: GQA, odd head dim, RoPE on, N not a multiple of anything.
    func spec(seq: Int = 1000, causal: Bool = true, methods: [String]) throws -> RunSpec {
        var s = RunSpec()
        s.seq = seq; s.heads = 4; s.kvHeads = 2; s.headDim = 40; s.causal = causal
        s.rope = .standard; s.threads = 2; s.repeat = 1; s.warmup = 0
        s.referenceRows = .count(37)
        s.methods = try methods.map(MethodSpec.init(parsing:))
        return s
    }

    func setup(_ s: RunSpec) -> (GeneratedInputs, StreamSetup) {
        let source = GeneratedInputs(spec: s)
        let rows = s.referenceRows.rows(seq: s.seq)
        return (source, StreamSetup(shape: source.shape, causal: s.causal, rows: rows, queries: source.rows(rows, threads: 2).q))
    }

    func stream(_ method: any StreamingAttentionMethod, _ s: RunSpec) throws -> MethodOutput {
        let (source, setup) = setup(s)
        let stream = try method.makeStream(setup, context: RunContext(threads: 2))
        for rows in method.streamSegments(seq: s.seq) {
            try stream.consume(source.segment(rows, threads: 2), firstRow: rows.lowerBound)
        }
        return try stream.finish()
    }

    func testPiecesOfTheWorkloadEqualTheWholeOne() throws {
        let s = try spec(methods: ["infini"])
        let source = GeneratedInputs(spec: s)
        let whole = try InputPreparation.prepare(s)
        let piece = source.segment(300..<557, threads: 2)
        XCTAssertEqual(piece.q, whole.q.gathering(rows: Array(300..<557)))
        XCTAssertEqual(piece.kContent, whole.kContent.gathering(rows: Array(300..<557)))
        XCTAssertEqual(piece.v, whole.v.gathering(rows: Array(300..<557)))
        XCTAssertNotEqual(piece.q, piece.qContent)
        // A reused buffer gives the same segments, with and without rotation.
        for rope in [RopeSettings.Mode.standard, .none] {
            var r = s
            r.rope = rope
            let source = GeneratedInputs(spec: r), whole = try InputPreparation.prepare(r)
            var buffer: AttentionInputs?
            for rows in [0..<300, 300..<600, 600..<900] {
                source.segment(rows, threads: 2, reusing: &buffer)
                XCTAssertEqual(buffer?.q, whole.q.gathering(rows: Array(rows)), "\(rope) \(rows)")
                XCTAssertEqual(buffer?.kContent, whole.kContent.gathering(rows: Array(rows)), "\(rope) \(rows)")
                XCTAssertEqual(buffer?.v, whole.v.gathering(rows: Array(rows)), "\(rope) \(rows)")
            }
        }
        let picked = source.rows([999, 0, 401], threads: 2)
        XCTAssertEqual(picked.q, whole.q.gathering(rows: [999, 0, 401]))
        XCTAssertEqual(picked.v, whole.v.gathering(rows: [999, 0, 401]))
    }

    func testStreamedReferenceEqualsTheInMemoryOne() throws {
        for causal in [true, false] {
            let s = try spec(causal: causal, methods: ["infini"])
            let (source, setup) = setup(s)
            let selection = SegmentLocalSelection(segment: 128, seq: s.seq, causal: causal, computed: true)
            let pass = StreamingReference(setup: setup, selections: [selection, nil])
            for r0 in stride(from: 0, to: s.seq, by: 300) {
                try pass.consume(source.segment(r0..<min(r0 + 300, s.seq), threads: 2), firstRow: r0, threads: 2,
                                 cancellation: CancellationFlag())
            }
            let (streamed, recalls) = pass.finish()
            let whole = try InputPreparation.prepare(s)
            let exact = try Reference.compute(whole, rows: setup.rows, threads: 2)
            XCTAssertEqual(streamed.rows, exact.rows)
            for (a, b) in zip(streamed.output, exact.output) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b))) }
            for (a, b) in zip(streamed.logSumExp, exact.logSumExp) { XCTAssertEqual(a, b, accuracy: 1e-10) }
            for (a, b) in zip(streamed.attentionMap.values, exact.attentionMap.values) {
                XCTAssert(a.isNaN ? b.isNaN : abs(a - b) <= 1e-6, "map \(a) vs \(b)")
            }
            XCTAssertEqual(try XCTUnwrap(recalls[0]), exact.recall(of: selection, inputs: whole, threads: 2), accuracy: 1e-12)
            XCTAssertNil(recalls[1])
        }
    }

    func testStreamedInfiniEqualsTheInMemoryRunOnTheReferenceRows() throws {
        for update in ["linear", "delta"] {
            let s = try spec(methods: ["infini"])
            let method = InfiniAttention(segment: 96, update: InfiniUpdate(rawValue: update)!)
            let streamed = try stream(method, s)
            let whole = try method.run(InputPreparation.prepare(s), context: RunContext(threads: 2))
            XCTAssertEqual(streamed.output, whole.output.gathering(rows: setup(s).1.rows), update)
            XCTAssertEqual(streamed.flops, whole.flops)
            XCTAssertEqual(streamed.memoryBytes, whole.memoryBytes)
            XCTAssertEqual(streamed.coverage, whole.coverage)
            XCTAssertEqual(streamed.approximateCoverage, whole.approximateCoverage)
        }
    }

    func testFlashOnSampledRowsIsExactAttentionOfThoseRows() throws {
        for causal in [true, false] {
            let s = try spec(seq: 5000, causal: causal, methods: ["infini", "flash"])
            let out = try stream(FlashAttention(), s)
            let whole = try InputPreparation.prepare(s)
            let reference = try Reference.compute(whole, rows: setup(s).1.rows, threads: 2)
            XCTAssertLessThan(ErrorMetrics(sampledOutput: out.output, reference: reference).relL2, 1e-5, "causal \(causal)")
            XCTAssertEqual(out.flops, FlopCount.dense(rows: reference.rows, seq: s.seq, headDim: 40, heads: 4, causal: causal))
        }
    }

    func testRunnerStreamsOnlyWhenAStreamingMethodNeedsIt() throws {
        XCTAssertTrue(try ComparisonRunner.streams(spec(methods: ["infini", "flash"])))
        XCTAssertFalse(try ComparisonRunner.streams(spec(methods: ["flash"])))
        XCTAssertFalse(try ComparisonRunner.streams(spec(methods: ["infini", "dense"])))
        var fromFiles = try spec(methods: ["infini"])
        fromFiles.inputs = "/nonexistent"
        XCTAssertFalse(try ComparisonRunner.streams(fromFiles))
    }

    func testStreamedRunReportsWhatAnInMemoryRunWould() throws {
        let s = try spec(methods: ["infini:segment=96,update=delta", "flash"])
        let report = try ComparisonRunner(spec: s).run()
        let infini = report.rows[0], flash = report.rows[1]
        // The same figures computed in memory, by hand.
        let whole = try InputPreparation.prepare(s)
        let reference = try Reference.compute(whole, rows: s.referenceRows.rows(seq: s.seq), threads: 2)
        let out = try InfiniAttention(segment: 96, update: .delta).run(whole, context: RunContext(threads: 2))
        let err = ErrorMetrics(output: out.output, reference: reference)
        XCTAssertEqual(infini.rmse, err.rmse, accuracy: 1e-12)
        XCTAssertEqual(infini.recall, reference.recall(of: try XCTUnwrap(out.selection), inputs: whole, threads: 2), accuracy: 1e-12)
        XCTAssertEqual(infini.flops, out.flops)
        XCTAssertEqual(infini.referenceRows, 37)
        guard case .numbers(let bands)? = infini.value(of: "segment_rmse") else { return XCTFail("no segment_rmse") }
        XCTAssertEqual(bands.count, 11)
        for (b, band) in bands.enumerated() {
            var sq = 0.0, count = 0
            for h in 0..<4 {
                for (idx, row) in reference.rows.enumerated() where row / 96 == b {
                    for c in 0..<40 {
                        let e = Double(out.output.data[out.output.offset(head: h, row: row) + c]) - reference.output[(h * 37 + idx) * 40 + c]
                        sq += e * e; count += 1
                    }
                }
            }
            XCTAssertGreaterThan(count, 0)
            XCTAssertEqual(band, (sq / Double(count)).squareRoot(), accuracy: 1e-12, "segment \(b)")
        }
        XCTAssertLessThan(flash.relL2Err, 1e-5)
        XCTAssertEqual(flash.flopsSaved, 0)
        XCTAssertNotNil(report.variants[0].approximateCoverage)
    }

    func testNeedleRetrievalIsTheNeedleValuesCoefficientInTheLastRow() {
        // Two query heads over one kv head; the last row holds 0.7·v_p (+ something orthogonal) and 0.2·v_p.
        let v = HeadTensor(heads: 1, seq: 1, dim: 4, data: [1, -1, 1, -1])
        let out = HeadTensor(heads: 2, seq: 2, dim: 4, data: [9, 9, 9, 9, 0.7 + 3, -0.7 + 3, 0.7 - 3, -0.7 - 3,
                                                            9, 9, 9, 9, 0.2, -0.2, 0.2, -0.2])
        XCTAssertEqual(NeedleRetrieval(values: v).measure(sampledOutput: out, rows: [5, 99]), 0.45, accuracy: 1e-6)
    }

    func testInfiniReportsHowManySegmentsBackTheNeedleLies() throws {
        var inputs = randomInputs(seq: 100, heads: 2, dim: 16)
        inputs.annotations = WorkloadAnnotations(needlePosition: 10)
        let out = try InfiniAttention(segment: 32).run(inputs, context: RunContext(threads: 2))
        XCTAssertEqual(out.extras.first { $0.name == "needle_segments_back" }?.value, .number(3))
    }
}
