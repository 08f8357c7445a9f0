import AttentionEngine
import Foundation
import TestSupport
import XCTest

/// Issue 2's correctness matrix for the exact float32 kernels, `flash` and `dense` (each
/// with its own causal and GQA indexing): relative L2 error ≤ 1e-5 against the float64
/// reference on random and outlier inputs, causal and not, G ∈ {1, H/2, H}, and FLOPs equal
/// to the mask-allowed entries' closed form.
///
/// `flash` runs at N ∈ {1, 7, 63, 64, 65, 1000, 4097}, D ∈ {32, 64, 80, 96, 128, 256};
/// `dense` (plain loops, O(N·d) per row) at N ∈ {1, 7, 65, 1000} and D ∈ {17, 32, 60, 80,
/// 128, 256}, including dims that are not multiples of 8. Every N × causal pair runs for
/// every D at G = H/2 (H = 4). Both workloads run for every N ≤ 1000; beyond, each
/// (D, causal) pair runs one workload, alternating, so both workloads still meet every D
/// and both masks. G ∈ {1, H} are swept on a few shapes per method. Flash also runs tile
/// sizes that do not divide N. Beyond 128 rows the reference checks 64 evenly spaced rows
/// per head (first and last included).
final class FlashCorrectnessTests: XCTestCase {
    /// A method put through the matrix, with the shapes it is swept at.
    struct Subject {
        let method: any AttentionMethod
        let seqs: [Int]
        let dims: [Int]
        /// Shapes the kv-head count is swept on (G = 1, H/2, H with H = 4).
        let kvSweep: [(n: Int, d: Int, causal: Bool, workload: WorkloadKind)]
    }

    static let flash = Subject(method: FlashAttention(), seqs: [1, 7, 63, 64, 65, 1000, 4097], dims: [32, 64, 80, 96, 128, 256],
                               kvSweep: [(65, 80, true, .outliers), (1000, 64, true, .random), (1000, 96, false, .outliers), (4097, 32, true, .random)])
    static let dense = Subject(method: DenseAttention(), seqs: [1, 7, 65, 1000], dims: [17, 32, 60, 80, 128, 256],
                               kvSweep: [(7, 17, false, .random), (65, 60, true, .outliers), (1000, 17, true, .random), (1000, 128, false, .outliers)])
    static let tolerance = 1e-5

    /// Runs `method` on one shape and returns its relative L2 error on the reference rows.
    func error(seq n: Int, dim d: Int, heads h: Int = 4, kvHeads g: Int = 2, causal: Bool, workload: WorkloadKind,
               method: any AttentionMethod = FlashAttention(), seed: UInt64 = 11) throws -> (relL2: Double, output: MethodOutput) {
        let inputs = randomInputs(seq: n, heads: h, kvHeads: g, dim: d, causal: causal, workload: workload, seed: seed)
        let out = try method.run(inputs, context: RunContext(threads: 2))
        let rows = n <= 128 ? Array(0..<n) : ReferenceRows.count(64).rows(seq: n)
        let reference = try Reference.compute(inputs, rows: rows, threads: 2)
        return (ErrorMetrics(output: out.output, reference: reference).relL2, out)
    }

    func assertExact(seq n: Int, dim d: Int, heads h: Int = 4, kvHeads g: Int = 2, causal: Bool, workload: WorkloadKind,
                     method: any AttentionMethod = FlashAttention(), file: StaticString = #filePath, line: UInt = #line) throws {
        let (err, out) = try error(seq: n, dim: d, heads: h, kvHeads: g, causal: causal, workload: workload, method: method)
        let tiles = (method as? FlashAttention).map { " tiles=\($0.tiles(headDim: d))" } ?? ""
        let shape = "\(type(of: method)) N=\(n) D=\(d) H=\(h) G=\(g) \(causal ? "causal" : "full") \(workload.rawValue)" + tiles
        XCTAssertLessThanOrEqual(err, Self.tolerance, shape, file: file, line: line)
        XCTAssertTrue(out.output.firstNonFinite() == nil, "non-finite output at " + shape, file: file, line: line)
        // 4·d per entry: the lower triangle with its diagonal, or all N² entries.
        XCTAssertEqual(out.flops, 4 * d * h * (causal ? n * (n + 1) / 2 : n * n), "FLOPs at " + shape, file: file, line: line)
    }

    /// Every N × causal pair of `subject` at every head dim, G = H/2.
    func sweepEverySeqAndMask(_ subject: Subject, file: StaticString = #filePath, line: UInt = #line) throws {
        for (di, d) in subject.dims.enumerated() {
            for n in subject.seqs {
                for causal in [true, false] {
                    let workloads: [WorkloadKind] = n <= 1000 ? [.random, .outliers]
                        : [(di + (causal ? 1 : 0)) % 2 == 0 ? .random : .outliers]
                    for w in workloads { try assertExact(seq: n, dim: d, causal: causal, workload: w, method: subject.method, file: file, line: line) }
                }
            }
        }
    }

    /// G ∈ {1, H/2, H} on `subject`'s sweep shapes.
    func sweepKVHeads(_ subject: Subject, file: StaticString = #filePath, line: UInt = #line) throws {
        for s in subject.kvSweep {
            for g in [1, 2, 4] {
                try assertExact(seq: s.n, dim: s.d, heads: 4, kvHeads: g, causal: s.causal, workload: s.workload, method: subject.method,
                                file: file, line: line)
            }
        }
    }

    func testEverySeqAndMaskAtEachHeadDimWithHalfTheKVHeads() throws { try sweepEverySeqAndMask(Self.flash) }

    func testKVHeadSweepOneHalfAndAll() throws { try sweepKVHeads(Self.flash) }

    func testDenseEverySeqAndMaskAtEachHeadDimWithHalfTheKVHeads() throws { try sweepEverySeqAndMask(Self.dense) }

    func testDenseKVHeadSweepOneHalfAndAll() throws { try sweepKVHeads(Self.dense) }

    func testTileSizesThatDoNotDivideTheSequence() throws {
        let tiles: [(q: Int, k: Int)] = [(4, 16), (20, 24), (48, 100), (100, 36), (333, 17), (1024, 4096)]
        for (i, t) in tiles.enumerated() {
            for causal in [true, false] {
                try assertExact(seq: 333 + 2 * i, dim: [40, 96, 17, 128, 64, 8][i], heads: 2, kvHeads: 1, causal: causal,
                                workload: i % 2 == 0 ? .outliers : .random, method: FlashAttention(tileQ: t.q, tileK: t.k))
            }
        }
    }

    /// FLOPs counted tile by tile equal the closed forms 4·d·H·N(N+1)/2 (causal) and 4·N²·d·H,
    /// for tiles that do and do not divide N.
    func testFlopCountIsExactlyTheMaskAllowedEntries() throws {
        for (n, d, h) in [(1, 16, 1), (200, 24, 3), (513, 64, 2)] {
            let inputs = randomInputs(seq: n, heads: h, kvHeads: 1, dim: d, causal: true)
            var full = inputs
            full.causal = false
            for method in [FlashAttention(), FlashAttention(tileQ: 36, tileK: 52)] {
                XCTAssertEqual(try method.run(inputs, context: RunContext(threads: 2)).flops, 4 * d * h * n * (n + 1) / 2)
                XCTAssertEqual(try method.run(full, context: RunContext(threads: 2)).flops, 4 * n * n * d * h)
            }
        }
    }
}
