import AttentionEngine
import TestSupport
import XCTest

/// Infini-attention against `infiniByTheEquations` (a separate Double implementation), and
/// its two limits: one segment (exact causal attention, the memory never read) and
/// `gate=local` (block-diagonal causal attention).
final class InfiniAttentionTests: XCTestCase {
    func run(_ method: InfiniAttention, _ inputs: AttentionInputs, threads: Int = 2) throws -> MethodOutput {
        try method.run(inputs, context: RunContext(threads: threads))
    }

    func checkAgainstEquations(seq: Int, heads: Int, kvHeads: Int, dim: Int, segment: Int, causal: Bool = true,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let inputs = ropeInputs(seq: seq, heads: heads, kvHeads: kvHeads, dim: dim, causal: causal)
        for update in InfiniUpdate.allCases {
            for gate in [InfiniGate.mix(beta: 0), .mix(beta: 1.5), .memory] {
                let out = try run(InfiniAttention(segment: segment, update: update, gate: gate), inputs)
                let expected = infiniByTheEquations(inputs, segment: segment, delta: update == .delta,
                                                    weight: Double(gate.memoryWeight), eps: 1e-6)
                let err = relativeL2(out.output.data, expected)
                XCTAssertLessThanOrEqual(err, 1e-6, "N=\(seq) seg=\(segment) H=\(heads) G=\(kvHeads) d=\(dim) \(update) gate=\(gate.text) causal=\(causal)",
                                         file: file, line: line)
            }
        }
    }

    func testMatchesEquationsWhenNIsNotAMultipleOfTheSegmentWithGQA() throws {
        try checkAgainstEquations(seq: 133, heads: 4, kvHeads: 2, dim: 40, segment: 32)
    }

    func testMatchesEquationsWhenNIsShorterThanOneSegment() throws {
        try checkAgainstEquations(seq: 45, heads: 2, kvHeads: 1, dim: 24, segment: 64)
    }

    func testMatchesEquationsWithSegmentsOfOneToken() throws {
        try checkAgainstEquations(seq: 19, heads: 3, kvHeads: 1, dim: 16, segment: 1)
    }

    /// d = 18: the last block of M's rows written (16..<18) and the σ rows are padded to 4.
    func testMatchesEquationsWithAHeadDimNotAMultipleOfFour() throws {
        try checkAgainstEquations(seq: 77, heads: 2, kvHeads: 1, dim: 18, segment: 21)
    }

    func testMatchesEquationsNonCausalWithHeadDimAMultipleOfSixteen() throws {
        try checkAgainstEquations(seq: 100, heads: 2, kvHeads: 2, dim: 64, segment: 24, causal: false)
    }

    func testOneSegmentIsExactCausalAttentionScaledByTheLocalWeight() throws {
        let inputs = ropeInputs(seq: 150, heads: 4, kvHeads: 2, dim: 48)
        let local = try run(InfiniAttention(segment: 150, gate: .local), inputs)
        XCTAssertLessThan(try relativeErrorAgainstReference(local.output, inputs), 1e-5)
        // Default gate: the memory is empty for the only segment, so A = (1 − sigmoid(0))·A_dot.
        let mixed = try run(InfiniAttention(segment: 4096), inputs)
        XCTAssertLessThan(try relativeErrorAgainstReference(mixed.output, inputs.scaled(values: 0.5)), 1e-5)
        XCTAssertEqual(mixed.extras.first { $0.name == "memory_flops" }?.value, .number(0))
    }

    func testLocalGateIsBlockDiagonalCausalAttention() throws {
        let inputs = ropeInputs(seq: 150, heads: 4, kvHeads: 1, dim: 40)
        let segment = 37
        let out = try run(InfiniAttention(segment: segment, gate: .local), inputs)
        // Independent path: exact flash attention on each segment cut out on its own.
        for c0 in stride(from: 0, to: inputs.seq, by: segment) {
            let rows = c0..<min(c0 + segment, inputs.seq)
            let piece = inputs.slice(rows)
            let exact = try FlashAttention().run(piece, context: RunContext(threads: 2)).output
            XCTAssertLessThan(relativeL2(out.output.gathering(rows: Array(rows)).data, exact.data.map(Double.init)), 1e-6, "segment at \(c0)")
        }
        XCTAssertEqual(out.memoryBytes, 0)
    }

    func testFlopsAndStateSizeAreWhatTheSegmentsDid() throws {
        let (n, seg, h, g, d) = (100, 32, 4, 2, 16)
        let inputs = randomInputs(seq: n, heads: h, kvHeads: g, dim: d)
        for update in InfiniUpdate.allCases {
            let out = try run(InfiniAttention(segment: seg, update: update), inputs)
            let sizes = [32, 32, 32, 4]
            let local = sizes.map { $0 * ($0 + 1) / 2 }.reduce(0, +) * h * 4 * d
            // Reads: every query row after the first segment. Writes: every key but the last
            // segment's. Delta: one more read per written key after the first segment.
            let reads = (n - seg) * h + (update == .delta ? (n - 4 - seg) * g : 0)
            let memory = reads * 2 * d * (d + 1) + (n - 4) * g * d * (2 * d + 1)
            XCTAssertEqual(out.flops, local + memory, "\(update)")
            func extra(_ name: String) -> ResultExtra.Value? { out.extras.first { $0.name == name }?.value }
            XCTAssertEqual(extra("local_flops"), .number(Double(local)), "\(update)")
            XCTAssertEqual(extra("memory_flops"), .number(Double(memory)), "\(update)")
            XCTAssertEqual(extra("segments"), .number(4))
            XCTAssertEqual(out.memoryBytes, g * d * (d + 1) * 4)
            XCTAssertEqual(extra("kv_cache_bytes"), .number(Double(2 * g * n * d * 4)))
            XCTAssertEqual(extra("compression"), .number(Double(2 * n) / Double(d + 1)))
        }
    }

    func testCoverageMarksSegmentBlocksExactAndEarlierSegmentsAsMemory() throws {
        // N ≤ 256: one grid cell per position.
        let (n, seg) = (70, 16)
        let out = try run(InfiniAttention(segment: seg), randomInputs(seq: n, heads: 2, dim: 16))
        let exact = try XCTUnwrap(out.coverage), memory = try XCTUnwrap(out.approximateCoverage)
        for head in 0..<2 {
            for i in 0..<n {
                for j in 0..<n {
                    let e = exact.value(head: head, row: i, col: j), m = memory.value(head: head, row: i, col: j)
                    if j > i { XCTAssert(e.isNaN && m.isNaN); continue }
                    let same = i / seg == j / seg
                    XCTAssertEqual(e, same ? 1 : 0, "exact (\(i), \(j))")
                    XCTAssertEqual(m, same ? 0 : 1, "memory (\(i), \(j))")
                }
            }
        }
    }

    func testLocalShareSelectionIsTheQuerysOwnSegment() {
        let s = SegmentLocalSelection(segment: 10, seq: 25, causal: true, computed: true)
        XCTAssertEqual(s.keyRanges(head: 0, row: 23), [20..<24])
        XCTAssertEqual(SegmentLocalSelection(segment: 10, seq: 25, causal: false, computed: true).keyRanges(head: 0, row: 21), [20..<25])
        XCTAssertEqual(SegmentLocalSelection(segment: 10, seq: 25, causal: true, computed: false).keyRanges(head: 0, row: 3), [])
    }

    func testBadKeysAreUsageErrorsNamingTheKey() {
        for (text, key) in [("infini:segment=0", "segment"), ("infini:update=hebbian", "update"), ("infini:gate=nan", "gate"),
                            ("infini:gate=inf", "gate"), ("infini:gate=half", "gate"), ("infini:eps=0", "eps"),
                            ("infini:segments=8", "segments")] {
            assertMethodSpecRejected(text, mentions: "'\(key)")
        }
    }
}

extension AttentionInputs {
    /// Rows `rows` of every tensor, as inputs of their own (positions restart at 0 for the mask only).
    func slice(_ rows: Range<Int>) -> AttentionInputs {
        let picked = Array(rows)
        return AttentionInputs(q: q.gathering(rows: picked), k: k.gathering(rows: picked), v: v.gathering(rows: picked),
                               causal: causal, qContent: qContent.gathering(rows: picked),
                               kContent: kContent.gathering(rows: picked), rope: rope)
    }

    /// The same inputs with V multiplied by `factor` (attention is linear in V).
    func scaled(values factor: Float) -> AttentionInputs {
        var copy = self
        copy.v.data = v.data.map { $0 * factor }
        return copy
    }
}
