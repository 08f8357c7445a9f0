import AttentionEngine
import Foundation
import TestSupport
import XCTest

/// The sparse kernel is exact within its mask: its output equals an independent masked
/// softmax in Double over the same selected keys, and the selection holds exactly the
/// entries the kernel counted (so recall, FLOPs and the coverage map describe one thing).
final class MInferenceExactnessTests: XCTestCase {
    /// Runs `spec` on `inputs` and checks exactness, entry count and coverage totals.
    func check(_ spec: String, _ inputs: AttentionInputs, file: StaticString = #filePath, line: UInt = #line) throws -> MethodOutput {
        let out = try MethodRegistry.make(MethodSpec(parsing: spec)).run(inputs, context: RunContext(threads: 2))
        let selection = try XCTUnwrap(out.selection, file: file, line: line)
        let n = inputs.seq, d = inputs.headDim
        var diff = 0.0, norm = 0.0, selected = 0, coverageEntries = 0.0
        for h in 0..<inputs.heads {
            for i in 0..<n {
                let ranges = selection.keyRanges(head: h, row: i)
                for (a, b) in zip(ranges, ranges.dropFirst()) {
                    XCTAssertLessThan(a.upperBound, b.lowerBound, "ranges must be sorted, disjoint, not touching", file: file, line: line)
                }
                XCTAssertLessThanOrEqual(ranges.last?.upperBound ?? 0, i + 1, "causal", file: file, line: line)
                selected += ranges.reduce(0) { $0 + $1.count }
                // Exactness on every row of short inputs; beyond, on ~300 spread rows and the last block
                // (the straightforward Double reference is slow in a debug build).
                guard n <= 400 || i % (n / 300) == 0 || i >= n - 64 else { continue }
                let expected = maskedSoftmaxRow(inputs, head: h, row: i, keys: ranges)
                let got = out.output.row(head: h, i)
                for c in 0..<d {
                    diff += (Double(got[c]) - expected[c]) * (Double(got[c]) - expected[c])
                    norm += expected[c] * expected[c]
                }
            }
        }
        let coverage = try XCTUnwrap(out.coverage)
        let grid = GridPartition(seq: n, cells: coverage.grid)
        for h in 0..<inputs.heads {
            for r in 0..<coverage.grid {
                for c in 0..<coverage.grid {
                    let v = coverage.value(head: h, row: r, col: c)
                    if !v.isNaN { coverageEntries += Double(v) * Double(grid.allowedEntries(rowCell: r, colCell: c, causal: true)) }
                }
            }
        }
        let indexFlops = Int(try XCTUnwrap(number(out, "index_flops")))
        XCTAssertEqual(out.flops - indexFlops, selected * FlopCount.perEntry(headDim: d),
                       "\(spec): the selection must hold exactly the entries the kernel visited", file: file, line: line)
        XCTAssertEqual(coverageEntries, Double(selected), accuracy: 1e-3 * Double(selected), "\(spec): coverage map", file: file, line: line)
        XCTAssertLessThanOrEqual((diff / norm).squareRoot(), 1e-5, "\(spec): relative L2 within the mask", file: file, line: line)
        return out
    }

    func testVerticalSlashAtAwkwardSizes() throws {
        // N not a multiple of the block, sparse enough to leave gaps; GQA; head dim not a multiple of 16.
        _ = try check("minference:pattern=vertical-slash,vertical=40,slash=60,block=16", randomInputs(seq: 701, heads: 4, kvHeads: 2, dim: 40))
        // N < last_q and N < block: everything is forced, the block is partial.
        _ = try check("minference:pattern=vertical-slash", randomInputs(seq: 40, heads: 2, dim: 24))
        // Defaults on a sequence longer than v and s but not a block multiple.
        _ = try check("minference", randomInputs(seq: 1300, heads: 1, dim: 64, seed: 3))
    }

    /// LLM-like inputs after the positional stage (sinks, stripes, slash lines, topics): the
    /// index finds real structure, and the kernel stays exact on what it selects.
    func testEveryPatternOnLLMInputs() throws {
        let inputs = try llmInputs(seq: 1000)
        for method in ["minference:vertical=50,slash=120", "minference:vertical=50,slash=120,slash_mode=exact",
                       "minference:pattern=a-shape,sink=16,local=200",
                       "minference:pattern=block-sparse,top_k=4"] {
            let out = try check(method, inputs)
            XCTAssertGreaterThan(1 - Double(out.flops) / Double(FlopCount.dense(seq: 1000, headDim: 64, heads: 2, causal: true)), 0,
                                 "\(method) must save work at N = 1000")
        }
        // The search costs more than it saves at this size; it must still run exactly what it chose.
        _ = try check("minference:pattern=auto", inputs)
    }

    /// `slash_mode=exact`: lanes that start before a diagonal, partial lane blocks, keys that are
    /// both a column and on a diagonal, GQA, head dims that are not multiples of 6 or 16.
    func testExactDiagonalsAtAwkwardSizes() throws {
        _ = try check("minference:slash_mode=exact,vertical=40,slash=60,block=16", randomInputs(seq: 701, heads: 4, kvHeads: 2, dim: 40))
        _ = try check("minference:slash_mode=exact,vertical=40,slash=60,block=20", randomInputs(seq: 333, heads: 2, dim: 17))
        _ = try check("minference:slash_mode=exact", randomInputs(seq: 40, heads: 2, dim: 24))
        // N below one lane block: every key is a forced column, every diagonal is masked.
        _ = try check("minference:slash_mode=exact", randomInputs(seq: 7, heads: 1, dim: 16))
        _ = try check("minference:slash_mode=exact,vertical=300,slash=200", randomInputs(seq: 1300, heads: 1, dim: 128, seed: 3))
    }

    /// Exact diagonals select a subset of what MInference's block ranges select from the same
    /// index — the diagonal entries themselves and the columns — and count fewer entries.
    func testExactDiagonalsAreASubsetOfTheBlockRanges() throws {
        let inputs = try llmInputs(seq: 1500)
        let exact = try check("minference:slash_mode=exact,vertical=60,slash=150", inputs)
        let block = try MethodRegistry.make(MethodSpec(parsing: "minference:vertical=60,slash=150")).run(inputs, context: RunContext(threads: 2))
        let (e, b) = (try XCTUnwrap(exact.selection), try XCTUnwrap(block.selection))
        for h in 0..<2 {
            for i in stride(from: 0, to: 1500, by: 7) {
                let blockKeys = Set(b.keyRanges(head: h, row: i).flatMap { $0 })
                let exactKeys = e.keyRanges(head: h, row: i).flatMap { $0 }
                XCTAssertTrue(exactKeys.allSatisfy(blockKeys.contains), "row \(i): exact keys outside the block ranges")
                XCTAssertLessThan(exactKeys.count, blockKeys.count + 1)
            }
        }
        XCTAssertLessThan(exact.flops, block.flops)
    }

    func testAShapeIsExactPerRow() throws {
        // Window edges fall inside blocks; the sink overlaps the window for early rows.
        _ = try check("minference:pattern=a-shape,sink=20,local=50", randomInputs(seq: 333, heads: 2, kvHeads: 1, dim: 40))
        _ = try check("minference:pattern=a-shape,sink=0,local=100,block=32", randomInputs(seq: 250, heads: 1, dim: 16))
        _ = try check("minference:pattern=a-shape", randomInputs(seq: 30, heads: 1, dim: 16))
    }

    func testBlockSparse() throws {
        _ = try check("minference:pattern=block-sparse,top_k=3", randomInputs(seq: 517, heads: 2, dim: 48))
        _ = try check("minference:pattern=block-sparse,top_k=5,block=32", randomInputs(seq: 300, heads: 3, kvHeads: 1, dim: 32))
        _ = try check("minference:pattern=block-sparse", randomInputs(seq: 50, heads: 1, dim: 32))
    }

    func testAutoSearchRunsTheChosenPatterns() throws {
        let out = try check("minference:pattern=auto,block=16", randomInputs(seq: 700, heads: 2, dim: 32))
        guard case .perHead(let patterns)? = out.extras.first(where: { $0.name == "pattern" })?.value,
              case .perHeadNumbers(let errors)? = out.extras.first(where: { $0.name == "search_err" })?.value else {
            return XCTFail("auto must report a pattern and a search error per head")
        }
        XCTAssertEqual(patterns.count, 2)
        XCTAssertEqual(errors.count, 2)
        for p in patterns { XCTAssertNotNil(SparsePattern(label: p), p) }
    }

    /// `llm` inputs after the positional stage: 2 heads sharing one kv head, d = 64.
    func llmInputs(seq: Int) throws -> AttentionInputs {
        var spec = RunSpec()
        (spec.seq, spec.heads, spec.kvHeads, spec.headDim, spec.workload, spec.threads) = (seq, 2, 1, 64, .llm, 2)
        return try InputPreparation.prepare(spec)
    }

    func number(_ out: MethodOutput, _ name: String) -> Double? {
        if case .number(let x)? = out.extras.first(where: { $0.name == name })?.value { return x }
        return nil
    }
}

/// Softmax attention in Double of one query row over exactly `keys` (the straightforward way).
func maskedSoftmaxRow(_ inputs: AttentionInputs, head: Int, row: Int, keys: [Range<Int>]) -> [Double] {
    let d = inputs.headDim, kvh = head / inputs.groupSize
    var out = [Double](repeating: 0, count: d)
    inputs.withPointers { p in
        let q = p.q.base + inputs.q.offset(head: head, row: row)
        var scores: [(Int, Double)] = []
        for r in keys {
            for j in r {
                let k = p.k.base + inputs.k.offset(head: kvh, row: j)
                var s = 0.0
                for c in 0..<d { s += Double(q[c]) * Double(k[c]) }
                scores.append((j, s / Double(d).squareRoot()))
            }
        }
        let mx = scores.map(\.1).max() ?? 0
        var total = 0.0
        for (j, s) in scores {
            let w = exp(s - mx)
            total += w
            let v = p.v.base + inputs.v.offset(head: kvh, row: j)
            for c in 0..<d { out[c] += w * Double(v[c]) }
        }
        if total > 0 { for c in 0..<d { out[c] /= total } }
    }
    return out
}
