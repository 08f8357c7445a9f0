@testable import AttentionEngine
import TestSupport
import XCTest

/// Index estimation is MInference's: planted heavy columns, diagonals and blocks are found,
/// forced entries are kept, and the slash-to-range conversion follows MInference's kernel.
final class MInferenceIndexTests: XCTestCase {
    func testVerticalSlashFindsPlantedColumnsAndDiagonals() {
        let n = 1000, d = 80, lq = 64
        let heavyColumns = [100, 350, 600], plantedOffsets = [150, 400, 777]
        let inputs = plantedVerticalSlashInputs(seq: n, dim: d, columns: heavyColumns, offsets: plantedOffsets)
        // v = 30 forced + 3, s = 100 forced + 3: exactly the forced and the planted ones.
        let e = VerticalSlashEstimate.estimate(inputs, head: 0, lastQ: lq, vertical: 33, slash: 103, threads: 2)
        guard case .verticalSlash(let columns, let offsets) = e.index(vertical: 33, slash: 103, seq: n) else { return XCTFail() }
        XCTAssertEqual(columns.map(Int.init), Array(0..<30) + heavyColumns)
        XCTAssertEqual(offsets.map(Int.init), (Array(0..<100) + plantedOffsets).sorted(by: >))
        XCTAssertEqual(e.flops, (lq * (n - lq) + lq * (lq + 1) / 2) * 2 * d)
        // With more room, the planted ones rank right after the forced ones.
        XCTAssertEqual(Set(e.columnRanking.prefix(33).map(Int.init)), Set(Array(0..<30) + heavyColumns))
    }

    /// On random inputs, with last_q spanning two 64-query panels and GQA, the kept columns and
    /// diagonals are the top ones by a straightforward Double computation of the scores
    /// (checked as: every kept score ≥ every dropped score, up to float rounding).
    func testVerticalSlashMatchesBruteForceScores() {
        let n = 300, d = 24, lq = 100, v = 60, s = 140
        let inputs = randomInputs(seq: n, heads: 2, kvHeads: 1, dim: d, seed: 4)
        let head = 1
        var column = [Double](repeating: 0, count: n), diagonal = [Double](repeating: 0, count: n)
        for r in 0..<lq {
            let i = n - lq + r
            let q = inputs.q.row(head: head, i)
            let s = (0...i).map { j in zip(q, inputs.k.row(head: 0, j)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } / Double(d).squareRoot() }
            let mx = s.max()!, total = s.reduce(0.0) { $0 + exp($1 - mx) }
            for j in 0...i {
                let p = exp(s[j] - mx) / total
                column[j] += p
                diagonal[i - j] += p
            }
        }
        let e = VerticalSlashEstimate.estimate(inputs, head: head, lastQ: lq, vertical: v, slash: s, threads: 2)
        guard case .verticalSlash(let columns, let offsets) = e.index(vertical: v, slash: s, seq: n) else { return XCTFail() }
        func assertTop(_ kept: [Int], scores: [Double], forced: Int, count: Int, _ what: String) {
            XCTAssertEqual(kept.count, count, what)
            XCTAssertTrue(Set(0..<forced).isSubset(of: kept), "\(what): forced ones kept")
            let keptSet = Set(kept)
            let keptMin = kept.filter { $0 >= forced }.map { scores[$0] }.min()!
            let droppedMax = (forced..<n).filter { !keptSet.contains($0) }.map { scores[$0] }.max()!
            XCTAssertGreaterThanOrEqual(keptMin, droppedMax - 1e-5, what)
        }
        assertTop(columns.map(Int.init), scores: column, forced: 30, count: v, "columns")
        assertTop(offsets.map(Int.init), scores: diagonal, forced: 100, count: s, "diagonals")
    }

    func testVerticalSlashClampsAndForcesAsMInference() {
        let n = 300
        let e = VerticalSlashEstimate.estimate(randomInputs(seq: n, heads: 1, dim: 16), head: 0, lastQ: 64, vertical: 5, slash: 5, threads: 1)
        guard case .verticalSlash(let columns, let offsets) = e.index(vertical: 5, slash: 5, seq: n) else { return XCTFail() }
        XCTAssertEqual(columns.map(Int.init), Array(0..<30), "v is raised to 30, all forced")
        XCTAssertEqual(offsets.map(Int.init), Array((0..<50).reversed()), "s is raised to 50, the nearest diagonals first")
        XCTAssertEqual(VerticalSlashEstimate.clamped(vertical: 5000, slash: 9000, seq: 2000).v, 2000)
        XCTAssertEqual(VerticalSlashEstimate.clamped(vertical: 5000, slash: 9000, seq: 2000).s, 2000)
    }

    /// Query block m carries directions e_{m/3} and e_{m−1}; key block n carries e_n.
    func testBlockSparseFindsPlantedBlocks() {
        let b = 64, blocks = 12, n = b * blocks, d = 32
        var inputs = randomInputs(seq: n, heads: 1, dim: d, seed: 5)
        for i in 0..<n * d { inputs.q.data[i] *= 0.05; inputs.k.data[i] *= 0.05 }
        for m in 0..<blocks {
            for r in m * b..<(m + 1) * b {
                inputs.k.data[inputs.k.offset(head: 0, row: r) + m] += 1
                if m >= 2 {
                    inputs.q.data[inputs.q.offset(head: 0, row: r) + m / 3] += 1
                    inputs.q.data[inputs.q.offset(head: 0, row: r) + m - 1] += 1
                }
            }
        }
        guard case .blockSparse(let selected) = BlockSparseEstimator.estimate(inputs, head: 0, block: b, topK: 2, threads: 2).index else {
            return XCTFail()
        }
        XCTAssertEqual(selected[0], [0])
        XCTAssertEqual(selected[1], [0, 1])
        for m in 2..<blocks { XCTAssertEqual(selected[m].map(Int.init), [m / 3, m - 1].sorted(), "block row \(m)") }
    }

    /// Block-Sparse's index FLOPs in closed form (README: pooling adds, 2·d per block score;
    /// the code counts one add per pooled element plus one scale per block and dimension, for
    /// Q and K): 2·(N·d + ⌈N/B⌉·d) + ⌈N/B⌉(⌈N/B⌉ + 1)/2 · 2·d, whatever top_k keeps.
    func testBlockSparseIndexFlopsAreThePoolingAndTheCausalBlockScores() {
        // N = 500, B = 16, d = 24: 32 blocks; pooling 2·(12000 + 768) = 25536,
        // scores 528 causal pairs · 48 = 25344.
        let inputs = randomInputs(seq: 500, heads: 2, kvHeads: 1, dim: 24, seed: 9)
        for k in [1, 4, 100] {
            XCTAssertEqual(BlockSparseEstimator.estimate(inputs, head: 1, block: 16, topK: k, threads: 2).flops, 50_880, "top_k \(k)")
        }
        for (n, b, d) in [(1, 16, 8), (64, 64, 16), (65, 64, 16), (1000, 32, 40)] {
            let blocks = (n + b - 1) / b
            XCTAssertEqual(BlockSparseEstimator.estimate(randomInputs(seq: n, heads: 1, dim: d), head: 0, block: b, topK: 3, threads: 2).flops,
                           blockSparseIndexFlops(seq: n, block: b, dim: d), "N \(n) B \(b) d \(d): \(blocks) blocks")
        }
    }

    /// On random inputs the block index equals a brute-force top-k of Double pooled scores.
    func testBlockSparseMatchesBruteForce() {
        let b = 16, k = 4
        let inputs = randomInputs(seq: 500, heads: 2, kvHeads: 1, dim: 24, seed: 9)
        let blocks = (500 + b - 1) / b
        for head in 0..<2 {
            guard case .blockSparse(let selected) = BlockSparseEstimator.estimate(inputs, head: head, block: b, topK: k, threads: 2).index else {
                return XCTFail()
            }
            let qBar = pooledMean(inputs.q, head: head, block: b), kBar = pooledMean(inputs.k, head: 0, block: b)
            for m in 0..<blocks {
                let scores = (0...m).map { n in zip(qBar[m], kBar[n]).reduce(0.0) { $0 + $1.0 * $1.1 } }
                let best = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(k)
                XCTAssertEqual(selected[m].map(Int.init), best.sorted(), "head \(head) block row \(m)")
            }
        }
    }

    /// Hand-worked cases of MInference's conversion (block 64, query block [64, 128)).
    func testSlashRangesFollowMInferenceConversion() {
        // Offsets 0 and 10 overlap: the range grows by a whole block, then is cut at the causal end.
        XCTAssertEqual(SlashRanges.ranges(offsetsDescending: [10, 0], blockEnd: 128, block: 64, keyEnd: 128), [54..<128])
        // Touching ranges merge; offset 200 ≥ 128 never reaches the block.
        XCTAssertEqual(SlashRanges.ranges(offsetsDescending: [200, 100, 0], blockEnd: 128, block: 64, keyEnd: 128), [0..<128])
        // A gap between the ranges keeps them apart (query block [192, 256)).
        XCTAssertEqual(SlashRanges.ranges(offsetsDescending: [100, 0], blockEnd: 256, block: 64, keyEnd: 256), [92..<156, 192..<256])
        // A diagonal that would start before key 0 is moved to [0, 64).
        XCTAssertEqual(SlashRanges.ranges(offsetsDescending: [90], blockEnd: 128, block: 64, keyEnd: 128), [0..<64])
        // Columns inside ranges are dropped, those outside kept, those past the causal end dropped.
        XCTAssertEqual(SlashRanges.columnsOutside([10..<20, 40..<50], columns: [0, 10, 19, 20, 45, 60, 99], keyEnd: 70), [0, 20, 60])
    }

    func testTopRankingForcesThenRanksWithLowerIndexOnTies() {
        let scores: [Float] = [0, 5, 1, 5, 9, 2]
        let r = scores.withUnsafeBufferPointer { TopRanking.indices(of: $0, count: 5, forced: 2) }
        XCTAssertEqual(r, [0, 1, 4, 3, 5])
    }

    /// `search_err` is what it says: per head, the relative L2 error against exact attention
    /// (float64 reference) of the final output on the search's sampled query blocks, which
    /// also checks that the main pass ran the pattern the search chose. N > 1024 + 4096,
    /// block 16 and top_k 8 so no candidate covers every key and the errors are not rounding.
    func testSearchErrorIsTheChosenPatternsErrorOnTheSampledRows() throws {
        let n = 5300, b = 16, d = 16
        let inputs = randomInputs(seq: n, heads: 2, kvHeads: 1, dim: d, seed: 12)
        var parameters = MInferenceParameters()
        parameters.pattern = .auto
        (parameters.topK, parameters.block) = (8, b)
        let out = try MInferenceAttention(parameters: parameters).run(inputs, context: RunContext(threads: 2))
        guard case .perHeadNumbers(let errors)? = out.extras.first(where: { $0.name == "search_err" })?.value else {
            return XCTFail("auto must report search_err")
        }
        let rows = PatternSearch.sample(blocks: (n + b - 1) / b).flatMap { m in m * b..<min(n, m * b + b) }
        let reference = try Reference.compute(inputs, rows: rows, threads: 2)
        for h in 0..<2 {
            var diff = 0.0, norm = 0.0
            for (idx, i) in rows.enumerated() {
                let got = out.output.row(head: h, i)
                for c in 0..<d {
                    let r = reference.output[(h * rows.count + idx) * d + c]
                    diff += (Double(got[c]) - r) * (Double(got[c]) - r)
                    norm += r * r
                }
            }
            let expected = (diff / norm).squareRoot(), reported = errors[h]
            XCTAssertGreaterThan(expected, 1e-3, "head \(h): the sampled rows must miss some keys")
            XCTAssertEqual(reported, expected, accuracy: 5e-3 * expected + 1e-6, "head \(h)")
        }
    }

    /// `index_flops` under `pattern=auto` is all the search's work, counted once: both
    /// estimations plus 4·d per entry that the exact baseline and every candidate cover on
    /// the sampled query blocks (entries taken from the covers, not from the kernel's count).
    func testAutoIndexFlopsCountEverySearchStep() throws {
        let n = 700, b = 16, d = 24
        let inputs = randomInputs(seq: n, heads: 2, kvHeads: 1, dim: d, seed: 13)
        var parameters = MInferenceParameters()
        (parameters.pattern, parameters.block) = (.auto, b)
        let method = MInferenceAttention(parameters: parameters)
        let out = try method.run(inputs, context: RunContext(threads: 2))
        guard case .number(let reported)? = out.extras.first(where: { $0.name == "index_flops" })?.value else {
            return XCTFail("no index_flops")
        }
        let candidates = method.withKernel(inputs, block: b, tileK: 64) {
            PatternSearch(kernel: $0, inputs: inputs, parameters: parameters, threads: 2).candidates(seq: n)
        }
        let sampled = PatternSearch.sample(blocks: (n + b - 1) / b)
        // One Vertical-Slash estimate ranks enough for the largest candidate sizes.
        var (vsV, vsS) = (0, 0)
        for case .verticalSlash(let v, let s) in candidates { (vsV, vsS) = (max(vsV, v), max(vsS, s)) }
        var expected = 0
        for head in 0..<2 {
            let vs = VerticalSlashEstimate.estimate(inputs, head: head, lastQ: parameters.lastQ, vertical: vsV, slash: vsS, threads: 2)
            var indices: [HeadIndex] = [.dense]
            for p in candidates {
                switch p {
                case .aShape(let sink, let local): indices.append(.aShape(sink: sink, local: local))
                case .verticalSlash(let v, let s): indices.append(vs.index(vertical: v, slash: s, seq: n))
                case .blockSparse(let k):
                    indices.append(BlockSparseEstimator.estimate(inputs, head: head, block: b, topK: k, threads: 2).index)
                    expected += blockSparseIndexFlops(seq: n, block: b, dim: d)
                }
            }
            expected += verticalSlashIndexFlops(seq: n, lastQ: parameters.lastQ, dim: d)
            for index in indices {
                for m in sampled {
                    let cover = index.cover(queryBlock: m, block: b, seq: n)
                    for i in m * b..<min(n, m * b + b) {
                        expected += cover.keyRanges(row: i).reduce(0) { $0 + $1.count } * FlopCount.perEntry(headDim: d)
                    }
                }
            }
        }
        XCTAssertEqual(Int(reported), expected)
    }

    func pooledMean(_ t: HeadTensor, head: Int, block b: Int) -> [[Double]] {
        stride(from: 0, to: t.seq, by: b).map { r0 in
            let rows = r0..<min(t.seq, r0 + b)
            return (0..<t.dim).map { c in rows.reduce(0.0) { $0 + Double(t.row(head: head, $1)[c]) } / Double(rows.count) }
        }
    }
}

/// Closed forms of one head's index-estimation FLOPs (README: 2·d per score, plus pooling
/// adds). Vertical-Slash scores the last lq = min(last_q, N) queries against every key,
/// causal inside the last lq × lq corner.
func verticalSlashIndexFlops(seq n: Int, lastQ: Int, dim d: Int) -> Int {
    let lq = min(lastQ, n)
    return (lq * (n - lq) + lq * (lq + 1) / 2) * 2 * d
}

/// Block-Sparse mean-pools Q and K (one add per element, one scale per block and dimension,
/// each), then scores the causal block pairs.
func blockSparseIndexFlops(seq n: Int, block b: Int, dim d: Int) -> Int {
    let blocks = (n + b - 1) / b
    return 2 * (n * d + blocks * d) + blocks * (blocks + 1) / 2 * 2 * d
}

/// Q/K (one head, d ≥ 65) where the last 64 queries put their mass on `columns` and
/// `offsets`: query N−64+r carries e_r and e_64; the heavy columns' keys carry e_64 (every
/// last query likes them), and key N−64+r−o carries e_r for each planted offset o (only
/// query r likes it, at distance o). Everything else is small noise. With last_q = 64, v =
/// 30 + columns and s = 100 + offsets keep exactly the forced and the planted ones.
func plantedVerticalSlashInputs(seq n: Int, dim d: Int, columns: [Int], offsets: [Int]) -> AttentionInputs {
    let lq = 64, a: Float = 6
    precondition(d > 64 && offsets.allSatisfy { $0 <= n - lq })
    var inputs = randomInputs(seq: n, heads: 1, dim: d, seed: 11)
    for i in 0..<n * d { inputs.k.data[i] *= 0.1 }
    for r in 0..<lq {
        let row = inputs.q.offset(head: 0, row: n - lq + r)
        for c in 0..<d { inputs.q.data[row + c] = 0 }
        inputs.q.data[row + r] = a
        inputs.q.data[row + 64] = a
        for o in offsets { inputs.k.data[inputs.k.offset(head: 0, row: n - lq + r - o) + r] += a }
    }
    for c in columns { inputs.k.data[inputs.k.offset(head: 0, row: c) + 64] += a }
    return inputs
}
