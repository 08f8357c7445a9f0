/// MInference's online index for Block-Sparse (arXiv 2407.02490 §3.2, and its public
/// `_build_block_index`): mean-pool Q and K over blocks of B rows, score every causal pair
/// of blocks, keep the best `k` key blocks for each query block:
///
///     q̄_m = mean of q rows in block m,   k̄_n likewise
///     score(m, n) = q̄_m · k̄_n   for n ≤ m   (unscaled: only the order matters)
///     blocks(m)   = top-min(k, m + 1) of score(m, ·),  k ← min(k, ⌈N/B⌉)
///
/// Ties go to the lower block. The last, partial block is pooled over its real rows
/// (MInference pads it with zeros and divides by B; the mean is the unbiased version).
/// Query blocks are scored 64 at a time (`QueryPanel`) in parallel.
enum BlockSparseEstimator {
    /// k ← min(k, ⌈N/B⌉), and at least one block.
    static func clamped(topK: Int, seq: Int, block: Int) -> Int {
        max(1, min(topK, (seq + block - 1) / block))
    }

    static func estimate(_ inputs: AttentionInputs, head: Int, block b: Int, topK: Int,
                         threads: Int) -> (index: HeadIndex, flops: Int, bytes: Int) {
        let n = inputs.seq, d = inputs.headDim
        let blocks = (n + b - 1) / b
        let k = clamped(topK: topK, seq: n, block: b)
        let pooledQ = pooled(inputs.q, head: head, block: b)
        let pooledK = pooled(inputs.k, head: head / inputs.groupSize, block: b)
        let lanes = QueryPanel.lanes
        let panels = (blocks + lanes - 1) / lanes
        var selected = [[Int32]](repeating: [], count: blocks)
        selected.withUnsafeMutableBufferPointer { selb in
            let out = SharedPointer(selb.baseAddress!)
            pooledQ.withUnsafeBufferPointer { qb in
            pooledK.withUnsafeBufferPointer { kb in
                let (qp, kp) = (SharedReadPointer(qb.baseAddress!), SharedReadPointer(kb.baseAddress!))
                ParallelFor.run(count: panels, threads: threads) { p in
                    let m0 = p * lanes, rows = min(lanes, blocks - m0), keyBlocks = m0 + rows
                    let panel = QueryPanel(queries: qp.base + m0 * d, rows: rows, dim: d, scale: 1)
                    var scores = [Float](repeating: 0, count: keyBlocks * lanes)
                    var row = [Float](repeating: 0, count: keyBlocks)
                    scores.withUnsafeMutableBufferPointer { sb in
                        panel.scores(keys: kp.base, count: keyBlocks, into: sb.baseAddress!)
                        for r in 0..<rows {
                            let m = m0 + r
                            for j in 0...m { row[j] = sb[j * lanes + r] }
                            let best = row.withUnsafeBufferPointer {
                                TopRanking.indices(of: UnsafeBufferPointer(rebasing: $0[0...m]), count: k, forced: 0)
                            }
                            out.base[m] = best.sorted()
                        }
                    }
                }
            }}
        }
        // Pooling: one add per element plus one scale per pooled element, for Q and K;
        // scores: 2·d per causal block pair.
        let poolFlops = 2 * (n * d + blocks * d)
        let scoreFlops = blocks * (blocks + 1) / 2 * 2 * d
        let bytes = 4 * (2 * blocks * d + min(threads, panels) * lanes * (blocks + 1)) + 4 * blocks * k
        return (.blockSparse(blocks: selected), poolFlops + scoreFlops, bytes)
    }

    /// Mean of each block of `block` rows of one head, [blocks][dim].
    static func pooled(_ t: HeadTensor, head: Int, block b: Int) -> [Float] {
        let n = t.seq, d = t.dim
        let blocks = (n + b - 1) / b
        var out = [Float](repeating: 0, count: blocks * d)
        t.data.withUnsafeBufferPointer { src in
            for m in 0..<blocks {
                let r0 = m * b, r1 = min(n, r0 + b)
                for r in r0..<r1 {
                    let row = src.baseAddress! + t.offset(head: head, row: r)
                    for c in 0..<d { out[m * d + c] += row[c] }
                }
                let inv = 1 / Float(r1 - r0)
                for c in 0..<d { out[m * d + c] *= inv }
            }
        }
        return out
    }
}
