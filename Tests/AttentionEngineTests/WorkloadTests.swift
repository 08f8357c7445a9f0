import AttentionEngine
import Foundation
import TestSupport
import XCTest

/// The synthetic workloads: deterministic, streamable row by row, and — for `llm` and
/// `needle` — carrying measurable structure in their exact attention (float64 reference).
final class WorkloadTests: XCTestCase {
    static let small = AttentionShape(seq: 300, heads: 4, kvHeads: 2, headDim: 33)

    // MARK: Determinism and streaming

    func testSameSeedSameDataDifferentSeedDifferentData() {
        for kind in WorkloadKind.allCases {
            for which in QKV.allCases {
                let a = kind.generator.tensor(which, shape: Self.small, seed: 5, threads: 2)
                let b = kind.generator.tensor(which, shape: Self.small, seed: 5, threads: 1)
                let c = kind.generator.tensor(which, shape: Self.small, seed: 6, threads: 2)
                XCTAssertEqual(a, b, "\(kind) \(which): same seed must give the same data")
                XCTAssertNotEqual(a, c, "\(kind) \(which): another seed must give other data")
                XCTAssertNil(a.firstNonFinite(), "\(kind) \(which)")
            }
        }
    }

    /// Any row range of any head regenerates exactly as the whole-tensor generation made it,
    /// so long runs can be streamed segment by segment through `fill`.
    func testAnyRowRangeRegeneratesLikeTheWholeTensor() {
        let shape = AttentionShape(seq: 5000, heads: 2, kvHeads: 1, headDim: 16)
        let needleAt = NeedleWorkload().position(seq: shape.seq, seed: 9)
        let cuts = [0, 1, 8, 700, needleAt, needleAt + 1, 4099, 4936, 4999, 5000]
        for kind in WorkloadKind.allCases {
            let gen = kind.generator
            for which in QKV.allCases {
                let whole = gen.tensor(which, shape: shape, seed: 9, threads: 2)
                let heads = which == .q ? shape.heads : shape.kvHeads
                for h in 0..<heads {
                    var pieces = [Float](repeating: .nan, count: shape.seq * shape.headDim)
                    pieces.withUnsafeMutableBufferPointer { p in
                        for (lo, hi) in zip(cuts, cuts.dropFirst()) where lo < hi {
                            gen.fill(which, head: h, rows: lo..<hi, shape: shape, seed: 9,
                                     into: p.baseAddress! + lo * shape.headDim)
                        }
                    }
                    let o = whole.offset(head: h, row: 0)
                    XCTAssertEqual(pieces, Array(whole.data[o..<o + whole.headStride]), "\(kind) \(which) head \(h)")
                }
            }
        }
    }

    /// One `llm` generator reused across seeds, shapes, parameters and rope settings makes
    /// exactly what a fresh generator makes: the per-head plans it keeps never go stale.
    func testReusedLLMGeneratorMatchesAFreshOne() {
        var reused = LLMWorkload()
        let other = AttentionShape(seq: 200, heads: 6, kvHeads: 3, headDim: 20)
        func check(_ shape: AttentionShape, seed: UInt64, _ what: String) {
            var fresh = LLMWorkload(rope: reused.rope)
            fresh.parameters = reused.parameters
            for which in [QKV.q, .k] {
                XCTAssertTrue(reused.tensor(which, shape: shape, seed: seed, threads: 2)
                              == fresh.tensor(which, shape: shape, seed: seed, threads: 2), "\(what) \(which)")
            }
        }
        check(Self.small, seed: 5, "first use")
        check(Self.small, seed: 6, "another seed")
        check(other, seed: 6, "another shape")
        reused.parameters.topicCount = 3
        reused.parameters.spectralTilt = 0.5...0.6
        check(other, seed: 6, "other parameters")
        reused.rope = RopeSettings(mode: .standard, base: 500, style: .interleaved)
        check(other, seed: 6, "another rope")
    }

    func testLLMWorkloadsDefaultToStandardRopeAndOthersToNone() {
        XCTAssertEqual(WorkloadKind.llm.defaultRope, .standard)
        XCTAssertEqual(WorkloadKind.needle.defaultRope, .standard)
        XCTAssertEqual(WorkloadKind.random.defaultRope, .none)
        XCTAssertEqual(WorkloadKind.outliers.defaultRope, .none)
    }

    func testTopicSegmentsAreContiguousAndFoundWithoutATable() {
        let segments = TopicSegments(seed: 3, length: 100, topics: 8)
        var previous = 0
        var cursor = TopicSegments.Cursor(segments)
        for i in 0..<5000 {
            XCTAssertEqual(cursor.topic(at: i), segments.topic(at: i))
            let s = segments.segment(containing: i)
            XCTAssertTrue(s == previous || s == previous + 1, "segments must be contiguous at \(i)")
            XCTAssertTrue(segments.start(ofSegment: s) <= i && i < segments.start(ofSegment: s + 1))
            previous = s
        }
        XCTAssertEqual(Double(previous), 50, accuracy: 3, "mean segment length is the set length")
    }

    // MARK: Structure of the attention the llm workload produces

    func testLLMHasSinksLocalWindowStripesSlashesAndTopicsThatRandomLacks() throws {
        let llm = try StructureFixture(workload: .llm)
        let random = try StructureFixture(workload: .random)
        // Sinks: the first keys take many times their uniform share, pooled over heads.
        XCTAssertGreaterThan(llm.lift(.sink), 10, "sinks \(llm.pooled)")
        XCTAssertLessThan(random.lift(.sink), 2, "random sinks \(random.pooled)")
        // Local window: the last 64 keys take many times their uniform share.
        XCTAssertGreaterThan(llm.lift(.window), 4)
        XCTAssertLessThan(random.lift(.window), 1.5)
        // Stripes: a stripe key (outside sinks and window) outweighs an ordinary key.
        XCTAssertGreaterThan(llm.lift(.stripe), 20)
        XCTAssertLessThan(random.lift(.stripe), 2)
        // Slash lines at the heads' offsets beyond the window.
        XCTAssertGreaterThan(llm.lift(.slash), 5)
        XCTAssertLessThan(random.lift(.slash), 2)
        // Topic heads weigh keys of their query's topic above other keys.
        XCTAssertGreaterThan(llm.lift(.topic), 3)
        XCTAssertLessThan(random.lift(.topic), 1.5)
        // Attention is concentrated but not one-hot; on random inputs it is nearly uniform.
        XCTAssertGreaterThan(llm.pooled.entropy, 1, "mean row entropy (nats)")
        XCTAssertLessThan(llm.pooled.entropy, 0.5 * log(Double(llm.inputs.seq)), "mean row entropy (nats)")
        XCTAssertGreaterThan(random.pooled.entropyShare, 0.9, "random entropy / ln(keys)")
        XCTAssertLessThan(llm.pooled.entropyShare, 0.5, "llm entropy / ln(keys)")
    }

    func testHeadsFavourDifferentPatterns() throws {
        let llm = try StructureFixture(workload: .llm)
        XCTAssertGreaterThanOrEqual(Set(llm.features.plans.map(\.kind)).count, 2, "head kinds \(llm.features.plans.map(\.kind))")
        let windows = llm.structure.perHead.map { $0.mass(.window)! }
        XCTAssertGreaterThan(windows.max()! / windows.min()!, 2, "local mass per head \(windows)")
    }

    /// The local window and the slash lines come from the positional stage: the same
    /// content without RoPE loses them.
    func testRopeCreatesTheLocalAndSlashStructure() throws {
        let rotated = try StructureFixture(workload: .llm)
        let unrotated = try StructureFixture(workload: .llm, rope: RopeSettings.Mode.none)
        XCTAssertLessThan(unrotated.lift(.window), rotated.lift(.window) / 4, "window \(unrotated.pooled) vs \(rotated.pooled)")
        XCTAssertLessThan(unrotated.lift(.slash), 2, "slash \(unrotated.pooled)")
    }

    /// Content follows the run's RoPE pairing: with GPT-J interleaved pairs the structure holds.
    func testStructureFollowsTheRopeStyle() throws {
        let interleaved = try StructureFixture(workload: .llm, style: .interleaved)
        XCTAssertGreaterThan(interleaved.lift(.window), 4)
        XCTAssertGreaterThan(interleaved.lift(.slash), 5)
        XCTAssertGreaterThan(interleaved.lift(.sink), 10)
    }

    // MARK: Needle

    func testNeedleIsPlantedDeepAndRetrievedByTheLastQueries() throws {
        let n = 4096
        let spec = StructureFixture.spec(workload: .needle, seq: n)
        let inputs = try InputPreparation.prepare(spec)
        let position = try XCTUnwrap(inputs.annotations.needlePosition)
        XCTAssertTrue((n / 10...3 * n / 10).contains(position), "needle at \(position)")
        let last = Array(n - 64..<n)
        let ref = try Reference.compute(inputs, rows: last, threads: 2)
        let needleMass = ref.recall(of: FixedKeys { _, _ in [position..<position + 1] }, inputs: inputs, threads: 2)
        XCTAssertGreaterThan(needleMass, 0.6, "the last queries' mass on the needle")
        // The last row's output points at the needle's distinctive value.
        var agreement = 0.0
        for h in 0..<inputs.heads {
            let value = inputs.v.row(head: h / inputs.groupSize, position).map(Double.init)
            XCTAssertTrue(value.allSatisfy { abs($0) == 4 }, "the needle's value row is ±4")
            let o = (h * last.count + last.count - 1) * inputs.headDim
            agreement += cosine(Array(ref.output[o..<o + inputs.headDim]), value) / Double(inputs.heads)
        }
        XCTAssertGreaterThan(agreement, 0.7, "mean cosine of the last row's output with the needle value")
        // Earlier queries treat it as an ordinary key; on random inputs nobody looks at it.
        let early = try Reference.compute(inputs, rows: Array(n - 200..<n - 136), threads: 2)
        XCTAssertLessThan(early.recall(of: FixedKeys { _, _ in [position..<position + 1] }, inputs: inputs, threads: 2), 0.05)
        let random = try InputPreparation.prepare(StructureFixture.spec(workload: .random, seq: n))
        let randomRef = try Reference.compute(random, rows: last, threads: 2)
        XCTAssertLessThan(randomRef.recall(of: FixedKeys { _, _ in [position..<position + 1] }, inputs: random, threads: 2), 0.01)
    }

    func testNeedleWorkloadWorksOnTinySequences() throws {
        for n in [1, 2, 5, 64] {
            let inputs = try InputPreparation.prepare(StructureFixture.spec(workload: .needle, seq: n))
            XCTAssertTrue((0..<n).contains(try XCTUnwrap(inputs.annotations.needlePosition)))
            XCTAssertNil(inputs.q.firstNonFinite())
        }
        for d in [1, 2, 3, 5] {
            var spec = StructureFixture.spec(workload: .llm, seq: 70)
            spec.headDim = d
            XCTAssertNil(try InputPreparation.prepare(spec).k.firstNonFinite(), "d = \(d)")
        }
    }
}

// MARK: Helpers

/// A key selection given by a closure of (head, row).
struct FixedKeys: KeySelection {
    let ranges: @Sendable (Int, Int) -> [Range<Int>]
    init(_ ranges: @escaping @Sendable (Int, Int) -> [Range<Int>]) { self.ranges = ranges }
    func keyRanges(head: Int, row: Int) -> [Range<Int>] { ranges(head, row) }
}

func cosine(_ a: [Double], _ b: [Double]) -> Double {
    let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    return dot / (a.reduce(0) { $0 + $1 * $1 }.squareRoot() * b.reduce(0) { $0 + $1 * $1 }.squareRoot())
}
