import Synchronization

/// `pattern=auto`: a kernel-aware per-head search in the spirit of the paper's Algorithm 1.
/// Each candidate is a pattern with sizes of similar kernel cost (the paper's §4 settings);
/// for each head every candidate builds its index online and runs the real sparse kernel on
/// a sample of query blocks, and the head keeps the candidate whose output there is closest
/// to exact attention:
///
///     error(c) = ‖O_c − O_exact‖₂ / ‖O_exact‖₂   over the sampled rows
///
/// Ties keep the earlier candidate. All of it (estimations, exact sample rows, candidate
/// sample rows) is counted as index work: its FLOPs in `index_flops`, its time in `index_ms`.
struct PatternSearch {
    let kernel: SparseBlockKernel
    let inputs: AttentionInputs
    let parameters: MInferenceParameters
    let threads: Int

    /// How many query blocks per head are scored, spread evenly, the last one included.
    static let sampleBlocks = 8

    struct Choice {
        var pattern: SparsePattern
        var index: HeadIndex
        var error: Double
    }

    /// A-shape (1024, 4096); Vertical-Slash (30, 2048), (100, 1800), (500, 1500), (3000, 200);
    /// Block-Sparse with the run's `top_k` (default min(100, N/64)); each with the sizes it
    /// runs with at `seq` (so at N = 2048, (3000, 200) is searched, and reported, as (2048, 200)).
    func candidates(seq: Int) -> [SparsePattern] {
        let named: [SparsePattern] = [
            .aShape(sink: 1024, local: 4096),
            .verticalSlash(vertical: 30, slash: 2048), .verticalSlash(vertical: 100, slash: 1800),
            .verticalSlash(vertical: 500, slash: 1500), .verticalSlash(vertical: 3000, slash: 200),
            .blockSparse(topK: parameters.defaultTopK(seq: seq)),
        ]
        return named.map { $0.clamped(seq: seq, block: parameters.block) }
    }

    /// The query blocks scored: `sampleBlocks` evenly spaced ending with the last block, or all.
    static func sample(blocks: Int) -> [Int] {
        guard blocks > sampleBlocks else { return Array(0..<blocks) }
        return (1...sampleBlocks).map { $0 * blocks / sampleBlocks - 1 }
    }

    /// Chooses head `head`'s pattern; `flops` and `bytes` grow by the search's work and memory.
    func choose(head: Int, flops: inout Int, bytes: inout Int) -> Choice {
        let n = inputs.seq, d = inputs.headDim, b = parameters.block
        let patterns = candidates(seq: n)
        var vsV = 0, vsS = 0
        for case .verticalSlash(let v, let s) in patterns { vsV = max(vsV, v); vsS = max(vsS, s) }
        let vs = VerticalSlashEstimate.estimate(inputs, head: head, lastQ: parameters.lastQ, vertical: vsV, slash: vsS, threads: threads)
        flops += vs.flops
        bytes = max(bytes, vs.bytes)
        var indices: [HeadIndex] = [.dense]
        for p in patterns {
            switch p {
            case .aShape(let sink, let local): indices.append(.aShape(sink: sink, local: local))
            case .verticalSlash(let v, let s): indices.append(vs.index(vertical: v, slash: s, seq: n))
            case .blockSparse(let k):
                let bs = BlockSparseEstimator.estimate(inputs, head: head, block: b, topK: k, threads: threads)
                flops += bs.flops
                bytes = max(bytes, bs.bytes)
                indices.append(bs.index)
            }
        }
        // Outputs of the exact baseline (index 0) and every candidate on the sampled blocks.
        let sampled = PatternSearch.sample(blocks: (n + b - 1) / b)
        let rowsPerBlock = b * d
        var outputs = [Float](repeating: 0, count: indices.count * sampled.count * rowsPerBlock)
        let visited = Atomic<Int>(0)
        let kernel = self.kernel
        let captured = indices
        outputs.withUnsafeMutableBufferPointer { ob in
            let out = SharedPointer(ob.baseAddress!)
            ParallelFor.run(count: captured.count * sampled.count, threads: threads) { item in
                let c = item / sampled.count, m = sampled[item % sampled.count]
                var noTally: CoverageTally? = nil
                let cover = captured[c].cover(queryBlock: m, block: b, seq: n)
                let entries = kernel.run(head: head, queryBlock: m, cover: cover, scratch: kernel.makeScratch(),
                                         out: out.base + item * rowsPerBlock, tally: &noTally)
                visited.add(entries, ordering: .relaxed)
            }
        }
        flops += visited.load(ordering: .relaxed) * FlopCount.perEntry(headDim: d)
        bytes = max(bytes, 4 * outputs.count)
        let sampleFloats = sampled.count * rowsPerBlock
        let exact = outputs[0..<sampleFloats]
        var best = Choice(pattern: patterns[0], index: indices[1], error: .infinity)
        for (i, p) in patterns.enumerated() {
            let candidate = outputs[((i + 1) * sampleFloats)..<((i + 2) * sampleFloats)]
            var diff = 0.0, norm = 0.0
            for (x, y) in zip(candidate, exact) {
                let e = Double(x) - Double(y)
                diff += e * e
                norm += Double(y) * Double(y)
            }
            let error = norm > 0 ? (diff / norm).squareRoot() : diff.squareRoot()
            if error < best.error { best = Choice(pattern: p, index: indices[i + 1], error: error) }
        }
        return best
    }
}
