import Foundation
import Synchronization

/// `flash` in a streamed run: exact float32 attention for the reference rows only, so an
/// exact answer can stand beside a streaming method at a million tokens without holding
/// K and V. It never streams on its own (`.sampledRows`): a run of flash alone computes
/// every row as usual.
extension FlashAttention: StreamingAttentionMethod {
    public var streamScope: StreamScope { .sampledRows }

    public func streamSegmentLength(seq: Int) -> Int { min(seq, 4096) }

    public func streamedSelection(shape: AttentionShape, causal: Bool) -> (any KeySelection)? { nil }

    public func makeStream(_ setup: StreamSetup, context: RunContext) throws -> any AttentionStream {
        SampledRowsFlashStream(tiles: tiles(headDim: setup.shape.headDim), setup: setup, context: context)
    }

    public func streamBytes(shape: AttentionShape, rows: Int, threads: Int) -> Int {
        SampledRowsFlashStream.bytes(shape: shape, rows: rows, tiles: tiles(headDim: shape.headDim), threads: threads)
            - MemoryLayout<Float>.size * shape.heads * rows * shape.headDim  // the kept rows
    }
}

/// Flash attention of the reference rows against keys that arrive segment by segment.
/// Each segment is taken in chunks about as long as the gap between reference rows. Per
/// chunk, every row whose keys include the whole chunk (all rows past it; every row
/// without the causal mask) is attended in blocks of `tiles.q` rows, and a row inside the
/// chunk alone, causally up to itself (short chunks keep this slow 1-row case rare); each
/// gives a partial result (O_c, normalised, and its log-sum-exp L_c) merged into the row's
/// running one:
///
///     L = log(e^{L_old} + e^{L_c}),     O = O_old·e^{L_old − L} + O_c·e^{L_c − L}
///
/// which is the online softmax applied per chunk instead of per key tile.
final class SampledRowsFlashStream: AttentionStream {
    let tiles: (q: Int, k: Int)
    let setup: StreamSetup
    let context: RunContext
    /// Keys per chunk: the gap between reference rows, at least 256.
    let chunk: Int
    private var logSumExp: [Float]
    private var output: HeadTensor
    private var entries = 0

    init(tiles: (q: Int, k: Int), setup: StreamSetup, context: RunContext) {
        self.tiles = tiles
        self.setup = setup
        self.context = context
        chunk = max(256, setup.shape.seq / max(1, setup.rows.count))
        logSumExp = [Float](repeating: -.infinity, count: setup.shape.heads * setup.rows.count)
        output = HeadTensor(heads: setup.shape.heads, seq: setup.rows.count, dim: setup.shape.headDim)
    }

    func consume(_ segment: AttentionInputs, firstRow: Int) throws {
        for keys in rowRanges(seq: segment.seq, length: chunk) {
            attend(segment, keys: keys, firstRow: firstRow)
            try context.checkCancelled()
        }
    }

    /// Attends every reference row that sees any of keys `keys` (rows of `segment`, whose
    /// first row is at position `firstRow`) to those keys, and merges.
    private func attend(_ segment: AttentionInputs, keys: Range<Int>, firstRow: Int) {
        let rows = setup.rows, causal = setup.causal, tiles = tiles, context = context
        let start = firstRow + keys.lowerBound, end = firstRow + keys.upperBound
        let d = setup.shape.headDim, h = setup.shape.heads, group = setup.shape.heads / setup.shape.kvHeads
        // Row indices [first, whole) lie inside the chunk (causal); [whole, count) see all of it.
        let first = causal ? rows.partitioningIndex { $0 >= start } : 0
        let whole = causal ? rows.partitioningIndex { $0 >= end - 1 } : 0
        let blocks = (rows.count - whole + tiles.q - 1) / tiles.q
        let items = whole - first + blocks
        let visited = Atomic<Int>(0)
        segment.withPointers { p in
        setup.queries.data.withUnsafeBufferPointer { qb in
        output.withSharedPointer { op in
        logSumExp.withUnsafeMutableBufferPointer { lb in
            let (kp, vp, qp, lp) = (p.k, p.v, SharedReadPointer(qb.baseAddress!), SharedPointer(lb.baseAddress!))
            ParallelFor.run(count: h * items, threads: context.threads) { item in
                if context.cancellation.isCancelled { return }
                let head = item / items, k = item % items
                let (idx0, count, keyCount) = k < whole - first
                    ? (first + k, 1, rows[first + k] + 1 - start)
                    : (whole + (k - whole + first) * tiles.q, min(tiles.q, rows.count - whole - (k - whole + first) * tiles.q), keys.count)
                let state = head * rows.count + idx0
                let block = QueryBlockAttention(dim: d, maxRows: tiles.q, maxKeys: tiles.k)
                // Inside the chunk the mask is needed (one row at its own position); rows
                // past it see every key, so their block ignores positions.
                block.begin(queries: qp.base + state * d, rows: count, firstPosition: count == 1 ? rows[idx0] : 0)
                let masked = causal && keyCount < keys.count
                let kvBase = ((head / group) * segment.seq + keys.lowerBound) * d
                let n = block.attendTiled(keys: kp.base + kvBase, values: vp.base + kvBase, firstKey: start, count: keyCount, causal: masked)
                let partial = UnsafeMutablePointer<Float>.allocate(capacity: count * d)
                defer { partial.deallocate() }
                block.finish(into: partial)
                for i in 0..<count {
                    lp.base[state + i] = QueryBlockAttention.join(op.base + (state + i) * d, lse: lp.base[state + i],
                                                                  with: partial + i * d, lse: block.logSumExp(row: i), dim: d)
                }
                visited.add(n, ordering: .relaxed)
            }
        }}}}
        entries += visited.load(ordering: .relaxed)
    }

    /// The rows' running output and log-sum-exp, and one attention block per worker.
    static func bytes(shape: AttentionShape, rows: Int, tiles: (q: Int, k: Int), threads: Int) -> Int {
        let state = shape.heads * rows * (shape.headDim + 1) * MemoryLayout<Float>.size
        return state + QueryBlockAttention(dim: shape.headDim, maxRows: tiles.q, maxKeys: tiles.k).scratchBytes * threads
    }

    func finish() throws -> MethodOutput {
        let shape = setup.shape
        return MethodOutput(output: output, flops: entries * FlopCount.perEntry(headDim: shape.headDim),
                            memoryBytes: Self.bytes(shape: shape, rows: setup.rows.count, tiles: tiles, threads: context.threads),
                            extras: [ResultExtra("rows_computed", Double(setup.rows.count)),
                                     ResultExtra("tile_q", Double(tiles.q)), ResultExtra("tile_k", Double(tiles.k))])
    }
}
