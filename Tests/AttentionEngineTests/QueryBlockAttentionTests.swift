import AttentionEngine
import Foundation
import TestSupport
import XCTest

/// The online-softmax core as sparse methods use it: a block of query rows fed a mix of
/// contiguous key ranges and gathered keys, checked against softmax over exactly those keys
/// in Double (output, log-sum-exp, and the entry count it returns).
final class QueryBlockAttentionTests: XCTestCase {
    /// Exact attention of query row `i` over the key positions in `keys` the mask allows.
    struct SubsetReference {
        var output: [Double]
        var logSumExp: Double
        var count: Int
    }

    func subsetReference(_ inputs: AttentionInputs, row i: Int, keys: [Int], causal: Bool) -> SubsetReference {
        let d = inputs.headDim
        let q = inputs.q.row(head: 0, i).map(Double.init)
        let allowed = keys.filter { !causal || $0 <= i }
        let scores = allowed.map { j in zip(q, inputs.k.row(head: 0, j)).reduce(0.0) { $0 + $1.0 * Double($1.1) } / Double(d).squareRoot() }
        guard let mx = scores.max() else { return SubsetReference(output: [Double](repeating: 0, count: d), logSumExp: -.infinity, count: 0) }
        let weights = scores.map { Foundation.exp($0 - mx) }
        let sum = weights.reduce(0, +)
        var out = [Double](repeating: 0, count: d)
        for (w, j) in zip(weights, allowed) {
            let v = inputs.v.row(head: 0, j)
            for c in 0..<d { out[c] += w / sum * Double(v[c]) }
        }
        return SubsetReference(output: out, logSumExp: mx + Foundation.log(sum), count: allowed.count)
    }

    /// Rows of `tensor` (head 0) at `positions`, packed contiguously.
    func gather(_ tensor: HeadTensor, _ positions: [Int]) -> [Float] {
        positions.flatMap { tensor.row(head: 0, $0) }
    }

    /// Sinks 0..<4 and a late window as contiguous ranges, every 7th key in between as gathered
    /// keys (MInference's A-shape plus vertical lines), for a block of rows 200..<260.
    func testMixedContiguousAndGatheredKeysMatchSoftmaxOverTheirUnion() throws {
        for causal in [true, false] {
            for workload in [WorkloadKind.random, .outliers] {
                let n = 300, d = 48
                let inputs = randomInputs(seq: n, heads: 1, dim: d, causal: causal, workload: workload, seed: 3)
                let first = 200, rows = 60
                let sinks = 0..<4, vertical = Array(stride(from: 7, through: 175, by: 7))
                let windows = [180..<240, 240..<300]
                let union = Array(sinks) + vertical + windows.flatMap { Array($0) }

                let block = QueryBlockAttention(dim: d, maxRows: 64, maxKeys: 64)
                var entries = 0
                var out = [Float](repeating: .nan, count: rows * d)
                inputs.q.data.withUnsafeBufferPointer { q in
                inputs.k.data.withUnsafeBufferPointer { k in
                inputs.v.data.withUnsafeBufferPointer { v in
                    block.begin(queries: q.baseAddress! + first * d, rows: rows, firstPosition: first)
                    entries += block.attend(keys: k.baseAddress!, values: v.baseAddress!, firstKey: 0, count: sinks.count, causal: causal)
                    let gk = gather(inputs.k, vertical), gv = gather(inputs.v, vertical)
                    entries += block.attend(gatheredKeys: gk, values: gv, positions: vertical, count: vertical.count, causal: causal)
                    for w in windows {
                        entries += block.attend(keys: k.baseAddress! + w.lowerBound * d, values: v.baseAddress! + w.lowerBound * d,
                                                firstKey: w.lowerBound, count: w.count, causal: causal)
                    }
                    out.withUnsafeMutableBufferPointer { block.finish(into: $0.baseAddress!) }
                }}}

                var diff = 0.0, norm = 0.0, expectedEntries = 0
                for r in 0..<rows {
                    let ref = subsetReference(inputs, row: first + r, keys: union, causal: causal)
                    expectedEntries += ref.count
                    for c in 0..<d {
                        diff += pow(Double(out[r * d + c]) - ref.output[c], 2)
                        norm += ref.output[c] * ref.output[c]
                    }
                    XCTAssertEqual(Double(block.logSumExp(row: r)), ref.logSumExp, accuracy: 1e-4, "row \(first + r)")
                }
                XCTAssertLessThanOrEqual((diff / norm).squareRoot(), 1e-5, "causal \(causal) \(workload)")
                XCTAssertEqual(entries, expectedEntries)
            }
        }
    }

    /// Causal rows before the first gathered key see nothing: zero output, log-sum-exp −∞,
    /// and no entries counted for them.
    func testRowsThatSeeNoKeyGetZerosAndNoEntries() throws {
        let d = 20
        let inputs = randomInputs(seq: 40, heads: 1, dim: d, causal: true, seed: 9)
        let positions = [5, 6, 30, 39]
        let block = QueryBlockAttention(dim: d, maxRows: 40, maxKeys: 8)
        var out = [Float](repeating: .nan, count: 40 * d)
        var entries = 0
        inputs.q.data.withUnsafeBufferPointer { q in
            block.begin(queries: q.baseAddress!, rows: 40, firstPosition: 0)
            entries = block.attend(gatheredKeys: gather(inputs.k, positions), values: gather(inputs.v, positions),
                                   positions: positions, count: positions.count, causal: true)
            out.withUnsafeMutableBufferPointer { block.finish(into: $0.baseAddress!) }
        }
        XCTAssertEqual(entries, (0..<40).reduce(0) { total, row in total + positions.filter { $0 <= row }.count })
        for r in 0..<5 {
            XCTAssertEqual(block.logSumExp(row: r), -.infinity)
            XCTAssertTrue(out[(r * d)..<((r + 1) * d)].allSatisfy { $0 == 0 }, "row \(r)")
        }
        for r in [5, 17, 39] {
            let ref = subsetReference(inputs, row: r, keys: positions, causal: true)
            for c in 0..<d { XCTAssertEqual(Double(out[r * d + c]), ref.output[c], accuracy: 1e-5) }
        }
    }
}
