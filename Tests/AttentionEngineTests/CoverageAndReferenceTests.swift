import AttentionEngine
import Foundation
import TestSupport
import XCTest

final class CoverageAndReferenceTests: XCTestCase {
    func testGridPartitionCoversEveryPositionOnce() {
        for (seq, cells) in [(3, 2), (1000, 256), (257, 256), (5, 256), (65_537, 256)] {
            let p = GridPartition(seq: seq, cells: cells)
            var seen = 0
            for c in 0..<p.cells {
                XCTAssertEqual(p.range(c).lowerBound, seen)
                for i in p.range(c) { XCTAssertEqual(p.cell(of: i), c, "seq \(seq) position \(i)") }
                seen = p.range(c).upperBound
            }
            XCTAssertEqual(seen, seq)
        }
    }

    /// Exact methods cover every allowed entry: `--save-maps` writes their map too, so a
    /// user can set any method's coverage beside flash's and dense's.
    func testExactMethodsCoverTheWholeCausalTriangle() throws {
        let inputs = randomInputs(seq: 301, heads: 2, dim: 16)
        let methods: [(String, any AttentionMethod)] = [("flash", FlashAttention(tileQ: 32, tileK: 48)), ("dense", DenseAttention()),
                                                        ("dense bf16", DenseAttention(precision: .bf16))]
        for (name, method) in methods {
            let map = try XCTUnwrap(method.run(inputs, context: RunContext(threads: 2)).coverage, name)
            XCTAssertEqual(map.grid, 256)
            for h in 0..<2 { for r in 0..<map.grid { for c in 0..<map.grid {
                let v = map.value(head: h, row: r, col: c)
                if c > r { XCTAssertTrue(v.isNaN, "\(name): above the diagonal nothing is allowed") } else { XCTAssertEqual(v, 1, accuracy: 1e-6, name) }
            } } }
            let nonCausal = randomInputs(seq: 100, heads: 1, dim: 16, causal: false)
            let full = try XCTUnwrap(method.run(nonCausal, context: RunContext(threads: 1)).coverage, name)
            XCTAssertTrue(full.values.allSatisfy { $0 == 1 }, name)
        }
    }

    func testCoverageTallyCountsPartialCells() {
        let recorder = CoverageRecorder(heads: 1, seq: 8, grid: 2)
        var t = recorder.tally(head: 0)
        t.addRect(rows: 4..<8, cols: 0..<2)   // half of the lower-left cell
        recorder.merge(t)
        let map = recorder.finish(causal: false)
        XCTAssertEqual(map.value(head: 0, row: 1, col: 0), 0.5)
        XCTAssertEqual(map.value(head: 0, row: 0, col: 0), 0)
    }

    /// A diagonal (with skipped keys, crossing row and key cell boundaries at different
    /// rows) lands in the same cells as recording its entries one by one.
    func testCoverageTallyDiagonalMatchesEntryByEntry() {
        let (seq, grid) = (301, 7)
        let skipped: [Int32] = [40, 41, 95, 180]
        for (rows, offset) in [(50..<301, 37), (0..<301, 0), (120..<200, 119), (296..<301, 5)] {
            let diagonal = CoverageRecorder(heads: 1, seq: seq, grid: grid), single = CoverageRecorder(heads: 1, seq: seq, grid: grid)
            var t = diagonal.tally(head: 0), u = single.tally(head: 0)
            let keys = (rows.lowerBound - offset)..<(rows.upperBound - offset)
            let inside = skipped[...].filter { keys.contains(Int($0)) }
            t.addDiagonal(rows: rows, offset: offset, skippingKeys: inside[...])
            for i in rows where !inside.contains(Int32(i - offset)) { u.add(row: i, cols: (i - offset)..<(i - offset + 1)) }
            diagonal.merge(t)
            single.merge(u)
            let (a, b) = (diagonal.finish(causal: true), single.finish(causal: true))
            XCTAssertEqual(a.values.map { $0.isNaN ? -1 : $0 }, b.values.map { $0.isNaN ? -1 : $0 }, "rows \(rows), offset \(offset)")
        }
    }

    /// Recall of a selection is the exact softmax mass inside it: all keys give 1, and the
    /// masses of complementary halves add up to 1.
    func testRecallOfComplementarySelectionsSumsToOne() throws {
        let inputs = randomInputs(seq: 120, heads: 2, kvHeads: 1, dim: 16)
        let reference = try Reference.compute(inputs, rows: ReferenceRows.count(20).rows(seq: 120), threads: 2)
        struct Split: KeySelection {
            let even: Bool?
            func keyRanges(head: Int, row: Int) -> [Range<Int>] {
                guard let even else { return [0..<row + 1] }
                let mid = (row + 1) / 2
                return even ? [0..<mid] : [mid..<row + 1]
            }
        }
        XCTAssertEqual(reference.recall(of: Split(even: nil), inputs: inputs, threads: 2), 1, accuracy: 1e-12)
        let a = reference.recall(of: Split(even: true), inputs: inputs, threads: 2)
        let b = reference.recall(of: Split(even: false), inputs: inputs, threads: 2)
        XCTAssertEqual(a + b, 1, accuracy: 1e-12)
        XCTAssertGreaterThan(a, 0.05); XCTAssertGreaterThan(b, 0.05)
    }

    /// The pooled attention map holds, per grid row, the mean mass each key cell received,
    /// so each checked grid row sums to 1 and unchecked ones are NaN.
    func testAttentionMapRowsAreDistributions() throws {
        let inputs = randomInputs(seq: 1000, heads: 1, dim: 8)
        let reference = try Reference.compute(inputs, rows: [0, 500, 999], threads: 2)
        let map = reference.attentionMap
        let checked = Set([0, 500, 999].map { GridPartition(seq: 1000).cell(of: $0) })
        for r in 0..<map.grid {
            let row = (0..<map.grid).map { map.value(head: 0, row: r, col: $0) }
            if checked.contains(r) { XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5) } else { XCTAssertTrue(row.allSatisfy(\.isNaN)) }
        }
    }

    func testCsvQuotesAndJsonShape() throws {
        var row = ResultRow(label: "a,\"b\"", method: "flash", seq: 1, heads: 1, kvHeads: 1, headDim: 1, causal: true,
                            workload: "random", seed: 1, latencyMs: 2, latencyMsMin: 1, flops: 4_000_000, denseFlops: 8_000_000,
                            rmse: 0, maxAbsErr: 0, relL2Err: 0, referenceRows: 1, recall: 1, memoryBytes: 0, threads: 1, extras: [])
        row.extras = [ResultExtra("pattern", .perHead(["vs", "a-shape"])), ResultExtra("index_flops", 63_471_616.0),
                      ResultExtra("kernel_gflops", 92.75), ResultExtra("search_err", .perHeadNumbers([0.25, .nan]))]
        let csv = ResultWriters.csv([row])
        let lines = csv.split(separator: "\r\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasSuffix(",threads,pattern,index_flops,kernel_gflops,search_err"))
        XCTAssertTrue(lines[1].hasPrefix("\"a,\"\"b\"\"\",flash,"))
        XCTAssertTrue(lines[1].contains(",0.5,"), "flops_saved = 1 − flops/dense_flops")
        XCTAssertTrue(lines[1].hasSuffix(",vs;a-shape,63471616,92.75,0.25;nan"), "whole counts without .0: \(lines[1])")
        let json = try JSONSerialization.jsonObject(with: Data(ResultWriters.json(spec: RunSpec(), rows: [row]).utf8)) as! [String: Any]
        let r0 = (json["rows"] as! [[String: Any]])[0]
        XCTAssertEqual(r0["gflops"] as? Double, 2)
        XCTAssertEqual(r0["pattern"] as? [String], ["vs", "a-shape"])
        // Per-head numbers are JSON numbers, with null for a value that is not finite.
        let errors = try XCTUnwrap(r0["search_err"] as? [Any])
        XCTAssertEqual(errors.first as? Double, 0.25)
        XCTAssertTrue(errors.last is NSNull, "\(errors)")
        XCTAssertNotNil(json["spec"] as? [String: Any])
    }

    /// One NaN or ∞ in an output makes every error figure NaN (Swift's max() would drop a NaN
    /// and report the rest as exact), and tables print it as NaN, not as a dash.
    func testANonFiniteOutputIsNeverReportedAsAccurate() throws {
        let inputs = randomInputs(seq: 20, heads: 2, dim: 8)
        let reference = try Reference.compute(inputs, rows: Array(0..<20), threads: 1)
        var output = try FlashAttention().run(inputs, context: RunContext(threads: 1)).output
        XCTAssertLessThan(ErrorMetrics(output: output, reference: reference).maxAbs, 1e-5)
        output.data[output.data.count / 2] = .nan
        let err = ErrorMetrics(output: output, reference: reference)
        XCTAssertTrue(err.rmse.isNaN && err.maxAbs.isNaN && err.relL2.isNaN, "\(err)")
        XCTAssertEqual(ReadableNumbers.scientific(err.maxAbs), "NaN")
        // So does an ∞ (Infini's float32 memory overflows near inputs of 1e12), per band too.
        output.data[output.data.count / 2] = .infinity
        let inf = ErrorMetrics(output: output, reference: reference)
        XCTAssertTrue(inf.rmse.isNaN && inf.maxAbs.isNaN && inf.relL2.isNaN, "\(inf)")
        let bands = ErrorMetrics.rmseByBand(sampledOutput: output.gathering(rows: reference.rows), reference: reference,
                                            rowsPerBand: 10, seq: 20)
        XCTAssertTrue(bands[0].isNaN != bands[1].isNaN && bands.allSatisfy { !$0.isInfinite }, "\(bands)")
        XCTAssertEqual(ReadableNumbers.value(-.nan, significant: 4, grouped: false), "nan")
    }

    func testReadableNumbers() {
        XCTAssertEqual(ReadableNumbers.grouped(1_234_567), "1,234,567")
        XCTAssertEqual(ReadableNumbers.grouped(-12), "-12")
        XCTAssertEqual(ReadableNumbers.si(3.2e12), "3.20T")
        XCTAssertEqual(ReadableNumbers.si(1536, binary: true), "1.50Ki")
        XCTAssertEqual(ReadableNumbers.scientific(0.00032149), "3.21e-04")
        XCTAssertEqual(ReadableNumbers.percent(0.953), "95.3%")
        XCTAssertEqual([0.4, 45, 89.4, 90, 3000, 5300, 5400, 7500].map { ReadableNumbers.duration(seconds: $0) },
                       ["0 s", "45 s", "89 s", "2 min", "50 min", "88 min", "1 h 30 min", "2 h 05 min"])
    }
}
