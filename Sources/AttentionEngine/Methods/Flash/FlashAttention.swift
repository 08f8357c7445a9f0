import Synchronization

/// FlashAttention-style exact attention in float32: each worker takes one (head, query
/// tile), streams the key/value tiles through `QueryBlockAttention` (online softmax), skips
/// tiles entirely above the causal diagonal and masks inside diagonal tiles. Query heads
/// read their kv head in place (GQA without copying). Nothing N×N is allocated.
///
/// FLOPs: 4·d per (query, key) entry the mask allows, counted per tile as visited, so a
/// causal run counts exactly 4·d·H·N(N+1)/2. Inside a diagonal tile the kernel skips whole
/// groups of 16 query rows that see none of the tile's keys; in the groups it does compute,
/// the masked entries (at most 15 per row and tile) are computed, then zeroed, and not counted.
public struct FlashAttention: AttentionMethod {
    public var tileQ: Int?
    public var tileK: Int?

    public static let descriptor = MethodDescriptor(
        name: "flash",
        summary: "exact tiled attention with online softmax (FlashAttention-3 style), float32",
        keys: [
            ParameterKey("tile_q", default: "auto", "query rows per tile (auto: 64)"),
            ParameterKey("tile_k", default: "auto", "keys per tile (auto: 256 for head dim ≤ 128, 32768/d beyond)"),
        ],
        make: { p in
            FlashAttention(tileQ: try p.optionalInt("tile_q", range: 4...1024),
                           tileK: try p.optionalInt("tile_k", range: 16...4096))
        })

    public init(tileQ: Int? = nil, tileK: Int? = nil) {
        self.tileQ = tileQ
        self.tileK = tileK
    }

    /// Tile sizes: what was asked, or the defaults. A worker streams each K/V tile from L2
    /// once per lane block of 16 queries, so tile_k need only fit L2 (1 MiB here) and be long
    /// enough to amortise the per-tile softmax bookkeeping: 256 keys while the K and V tile
    /// stay within 256 KiB (d ≤ 128), fewer for wider heads. 64 query rows give enough work
    /// items to balance two workers at small N. Measured on the project machine (one thread,
    /// causal N = 8192–16384, d = 64–256, CPU time): 64×256 ~90 GFLOP/s per core, 64×64
    /// ~75; 128-row and 128-key variants within the ±10% noise of a shared machine.
    public func tiles(headDim d: Int) -> (q: Int, k: Int) {
        (tileQ ?? 64, tileK ?? max(16, min(256, 32768 / max(d, 1) / 16 * 16)))
    }

    public func run(_ inputs: AttentionInputs, context: RunContext) throws -> MethodOutput {
        let (bq, bk) = tiles(headDim: inputs.headDim)
        let n = inputs.seq, d = inputs.headDim, h = inputs.heads, group = inputs.groupSize
        let causal = inputs.causal
        let qTiles = (n + bq - 1) / bq
        var out = HeadTensor(heads: h, seq: n, dim: d)
        let coverage = CoverageRecorder(heads: h, seq: n)
        let entries = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let total = h * qTiles
        var scratch = 0
        out.withSharedPointer { o in
        inputs.withPointers { p in
            let (qp, kp, vp) = (p.q, p.k, p.v)
            scratch = QueryBlockAttention(dim: d, maxRows: bq, maxKeys: bk).scratchBytes * min(context.threads, total)
            // Items go head by head, so the workers share one head's K/V in cache, and within
            // a head from the last query tile to the first: causal tiles cost less the earlier
            // they are, so the cheapest items come last and even out the workers' finish.
            ParallelFor.run(count: total, threads: context.threads) { item in
                if context.cancellation.isCancelled { return }
                let head = item / qTiles, tile = qTiles - 1 - item % qTiles
                let r0 = tile * bq, rows = min(bq, n - r0)
                let kvh = head / group
                let block = QueryBlockAttention(dim: d, maxRows: bq, maxKeys: bk)
                block.begin(queries: qp.base + (head * n + r0) * d, rows: rows, firstPosition: r0)
                var tally = coverage.tally(head: head)
                var visited = 0
                let keyEnd = causal ? r0 + rows : n
                var c0 = 0
                while c0 < keyEnd {
                    // Checked per key tile, so a cancelled run stops within one tile's work.
                    if context.cancellation.isCancelled { return }
                    let count = min(bk, keyEnd - c0)
                    let base = (kvh * n + c0) * d
                    visited += block.attend(keys: kp.base + base, values: vp.base + base, firstKey: c0, count: count, causal: causal)
                    if causal && c0 + count > r0 {
                        // Rows before this key tile's start (tiles need not align) see none of it.
                        for i in 0..<rows where r0 + i >= c0 { tally.add(row: r0 + i, cols: c0..<min(c0 + count, r0 + i + 1)) }
                    } else {
                        tally.addRect(rows: r0..<r0 + rows, cols: c0..<c0 + count)
                    }
                    c0 += count
                }
                block.finish(into: o.base + (head * n + r0) * d)
                coverage.merge(tally)
                entries.add(visited, ordering: .relaxed)
                let finished = done.add(1, ordering: .relaxed).newValue
                context.progress(Double(finished) / Double(total))
            }
        }}
        try context.checkCancelled()
        return MethodOutput(output: out, flops: entries.load(ordering: .relaxed) * FlopCount.perEntry(headDim: d),
                            memoryBytes: scratch, coverage: coverage.finish(causal: causal),
                            extras: [ResultExtra("tile_q", Double(bq)), ResultExtra("tile_k", Double(bk))])
    }
}
