import Synchronization

/// What a tiled flash kernel does inside one work item: start a block of query rows,
/// attend to key tiles in order, write the block's output. Workers are built on the worker
/// threads (so the type itself must be usable there: `SendableMetatype`).
protocol FlashTileWorker: SendableMetatype {
    mutating func begin(head: Int, firstRow: Int, rows: Int)
    /// Attends keys `firstKey ..< firstKey + count`; returns the (query, key) entries the
    /// mask allows among them (what the FLOP count charges).
    mutating func attend(firstKey: Int, count: Int) -> Int
    mutating func finish()
}

/// The outer loops every tiled flash kernel shares (FlashAttention's schedule): one work
/// item per (head, query tile of `tileQ` rows), handed out head by head (so the workers
/// share one head's K/V in cache) and within a head last query tile first: under a causal
/// mask those cost most, so the cheapest items come last and even out the workers' finish.
/// Each item visits key tiles of `tileK` keys from the first key up to the causal diagonal
/// (all keys without a mask). The walk counts the entries computed, records coverage,
/// reports progress per item (as the share of allowed entries done) and stops before the
/// next key tile once the run is cancelled. What happens inside a tile is the worker's business.
struct FlashTileWalk {
    let heads: Int
    let seq: Int
    let tileQ: Int
    let tileK: Int
    let causal: Bool

    var queryTiles: Int { (seq + tileQ - 1) / tileQ }
    var items: Int { heads * queryTiles }

    /// Runs every item on `context.threads` workers, building one worker per item.
    func run<W: FlashTileWorker>(context: RunContext, makeWorker: @Sendable () -> W) -> (entries: Int, coverage: CoverageMap) {
        let coverage = CoverageRecorder(heads: heads, seq: seq)
        let entries = Atomic<Int>(0)
        let allowed = FlopCount.allowedEntries(seq: seq, heads: heads, causal: causal)
        let qTiles = queryTiles
        ParallelFor.run(count: items, threads: context.threads) { item in
            if context.cancellation.isCancelled { return }
            let head = item / qTiles, tile = qTiles - 1 - item % qTiles
            let r0 = tile * tileQ, rows = min(tileQ, seq - r0)
            var worker = makeWorker()
            worker.begin(head: head, firstRow: r0, rows: rows)
            var tally = coverage.tally(head: head)
            var visited = 0
            let keyEnd = causal ? r0 + rows : seq
            var c0 = 0
            while c0 < keyEnd {
                if context.cancellation.isCancelled { return }
                let count = min(tileK, keyEnd - c0)
                visited += worker.attend(firstKey: c0, count: count)
                if causal && c0 + count > r0 {
                    // Rows above this key tile's first key see none of it (tile_k < tile_q).
                    for i in 0..<rows where r0 + i >= c0 { tally.add(row: r0 + i, cols: c0..<min(c0 + count, r0 + i + 1)) }
                } else {
                    tally.addRect(rows: r0..<r0 + rows, cols: c0..<c0 + count)
                }
                c0 += count
            }
            worker.finish()
            coverage.merge(tally)
            context.tallyEntries(visited, into: entries, of: allowed)
        }
        return (entries.load(ordering: .relaxed), coverage.finish(causal: causal))
    }
}
