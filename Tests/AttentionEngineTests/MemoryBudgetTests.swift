@testable import AttentionEngine
import XCTest

final class MemoryBudgetTests: XCTestCase {
    /// The estimate is what `InputPreparation` really allocates: Q, K, V, and with RoPE the
    /// pre-RoPE content in storage of its own; an output adds one tensor of Q's shape.
    func testGeneratedInputBytesMatchWhatPreparationHolds() throws {
        for rope in [RopeSettings.Mode.standard, .none] {
            var spec = RunSpec()
            (spec.seq, spec.heads, spec.kvHeads, spec.headDim, spec.workload, spec.rope) = (37, 6, 2, 12, .llm, rope)
            let inputs = try InputPreparation.prepare(spec)
            var held = inputs.q.byteCount + inputs.k.byteCount + inputs.v.byteCount
            if rope == .standard {
                XCTAssertNotEqual(inputs.q.data, inputs.qContent.data, "rotated and content copies differ")
                held += inputs.qContent.byteCount + inputs.kContent.byteCount
            }
            let shape = AttentionShape(seq: 37, heads: 6, kvHeads: 2, headDim: 12)
            XCTAssertEqual(MemoryBudget.inputBytes(shape, rotated: rope == .standard, outputs: 0), held, "\(rope)")
            XCTAssertEqual(MemoryBudget.inputBytes(shape, rotated: rope == .standard, outputs: 2),
                           held + 2 * inputs.q.byteCount, "\(rope)")
        }
    }

    /// The references' formulas are what they allocate (worker scratch aside: `threads: 0`).
    func testReferenceBytesMatchTheirArrays() throws {
        var spec = RunSpec()
        (spec.seq, spec.heads, spec.kvHeads, spec.headDim, spec.workload) = (1000, 6, 2, 20, .llm)
        let inputs = try InputPreparation.prepare(spec)
        let rows = ReferenceRows.count(37).rows(seq: spec.seq)
        let exact = try Reference.compute(inputs, rows: rows, threads: 2)
        XCTAssertEqual(Reference.bytes(heads: 6, rows: rows.count, seq: 1000, dim: 20, threads: 0),
                       8 * (exact.output.count + exact.logSumExp.count) + 4 * exact.attentionMap.values.count)

        let source = GeneratedInputs(spec: spec)
        let setup = StreamSetup(shape: spec.shape, causal: true, rows: rows, queries: source.rows(rows, threads: 2).q)
        let pass = StreamingReference(setup: setup, selections: [nil, nil, nil])
        try pass.consume(source.segment(0..<300, threads: 2), firstRow: 0, threads: 2, cancellation: CancellationFlag())
        XCTAssertEqual(StreamingReference.bytes(shape: spec.shape, rows: rows.count, selections: 3, segment: 300), pass.heldBytes)
    }

    /// What a method declares it copies (`copyBytes`, checked before a run) is the part of
    /// the memory its run reports that does not grow with the workers: memory_bytes is
    /// copies + workers × scratch, so copies = 2·m(1 thread) − m(2 threads). N = 1000 and
    /// d = 20 are not multiples of any tile or padding.
    func testCopyBytesAreWhatTheRunsHold() throws {
        var spec = RunSpec()
        (spec.seq, spec.heads, spec.kvHeads, spec.headDim, spec.workload) = (1000, 6, 2, 20, .llm)
        let inputs = try InputPreparation.prepare(spec)
        for text in ["flash", "dense", "flash:precision=fp8", "flash:precision=bf16", "dense:precision=fp16",
                     "longrope:scaling=yarn,original=256"] {
            let method = try MethodRegistry.make(MethodSpec(parsing: text))
            let m = try [1, 2].map { try method.run(inputs, context: RunContext(threads: $0, seed: 1)).memoryBytes }
            XCTAssertEqual(method.copyBytes(spec.shape), 2 * m[0] - m[1], text)
            XCTAssertEqual(method.copyBytes(spec.shape) > 0, text.contains("precision=") || text.hasPrefix("longrope"), text)
        }
        let exact = try MethodRegistry.make(MethodSpec(parsing: "minference:slash_mode=exact"))
        let layout = inputs.withPointers { p in
            SlidingTransposedKeys(keys: p.k.base, values: p.v.base, kvHeads: 2, seq: 1000, dim: 20, threads: 2)
        }
        XCTAssertEqual(exact.copyBytes(spec.shape), layout.bytes)
        XCTAssertEqual(try MethodRegistry.make(MethodSpec(parsing: "minference")).copyBytes(spec.shape), 0)
    }

    /// A streamed run holds one segment at a time, but a segment can itself be too large:
    /// Infini with one segment of 2²⁴ tokens at d = 1024 needs its inputs, output and write
    /// scratch for all of them (about 550 GB), which is refused before anything is generated.
    func testAStreamedRunWhoseSegmentCannotFitIsRefused() throws {
        var spec = RunSpec()
        (spec.seq, spec.heads, spec.kvHeads, spec.headDim, spec.workload) = (1 << 24, 2, 1, 1024, .random)
        spec.referenceRows = .count(2)
        spec.methods = [try MethodSpec(parsing: "infini:segment=\(1 << 24),label=whole")]
        XCTAssertThrowsError(try ComparisonRunner(spec: spec).plan()) { error in
            let e = error as? EngineError
            XCTAssertEqual(e?.kind, .usage)
            XCTAssertTrue(e?.message.contains("whole's segments") == true && e?.message.contains("needed, this machine has") == true,
                          e?.message ?? "\(error)")
        }
        // The same sequence in segments of 2048 streams in little memory.
        spec.methods = [try MethodSpec(parsing: "infini:segment=2048")]
        XCTAssertNotNil(try ComparisonRunner(spec: spec).plan().streaming)
    }

    func testRequireRefusesOnlyWhatExceedsTheMemory() throws {
        XCTAssertNoThrow(try MemoryBudget.require(1 << 30, for: "x", remedy: "y", available: 1 << 30))
        XCTAssertThrowsError(try MemoryBudget.require(3 << 29, for: "holding it", remedy: "make it smaller", available: 1 << 30)) { error in
            XCTAssertEqual(error as? EngineError,
                           .usage("holding it: 1.50GiB needed, this machine has 1.00GiB of memory; make it smaller"))
        }
        XCTAssertGreaterThan(MemoryBudget.physicalBytes, 0)
    }
}
