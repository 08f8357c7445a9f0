import Synchronization

/// One Infini-attention run over a sequence, fed its segments in order. For each segment
/// s = rows c_s ..< c_s + T of every head:
///
///  1. per query head and tile of query rows (in parallel):
///       A_dot = softmax attention over the segment's own keys only, causal unless the run
///               is not (the flash kernel's `QueryBlockAttention`, rotated q/k),
///       A_mem = σ(Q) M / (σ(Q) z + eps) from the memory of segments 0 ..< s (unrotated Q;
///               skipped for s = 0, where M = z = 0 makes it exactly 0),
///       A     = w·A_mem + (1 − w)·A_dot;
///     and per kv head and block of keys: σ(K), and for the delta rule V − σ(K)M/(σ(K)z + eps);
///  2. per kv head and block of rows of M (in parallel): the memory write, after every read
///     (skipped after the last segment, which no segment reads).
///
/// State carried between segments: the memory (d·(d + 1) floats per kv head), counters and
/// the coverage tallies. Nothing depends on N but the counters. Workers share it within a
/// phase (hence `@unchecked Sendable`): they write disjoint rows, atomics and locked tallies;
/// `segmentsDone` and the memory's flag change only between phases.
final class InfiniRun: @unchecked Sendable {
    let method: InfiniAttention
    let shape: AttentionShape
    let causal: Bool
    /// Where the workload planted a needle, if it did (for `needle_segments_back`).
    let needle: Int?
    let memory: CompressiveMemory?
    let exact: CoverageRecorder
    let approximate: CoverageRecorder
    let tiles: (q: Int, k: Int)
    let weight: Float
    /// Scratch of one segment's memory write, per kv head: σ(K)ᵀ [stride][segment] and the
    /// value written, U [segment][stride].
    private let sigmaT: UnsafeMutablePointer<Float>
    private let update: UnsafeMutablePointer<Float>
    private let segment: Int
    private let localEntries = Atomic<Int>(0)
    private let memoryFlops = Atomic<Int>(0)
    private(set) var segmentsDone = 0

    /// Keys per block of the memory-write preparation and rows of M per write item.
    static let keyBlock = 64
    static let rowBlock = 16

    init(method: InfiniAttention, shape: AttentionShape, causal: Bool, needle: Int?) {
        self.method = method
        self.shape = shape
        self.causal = causal
        self.needle = needle
        segment = method.streamSegmentLength(seq: shape.seq)
        memory = method.gate.usesMemory ? CompressiveMemory(heads: shape.kvHeads, dim: shape.headDim) : nil
        exact = CoverageRecorder(heads: shape.heads, seq: shape.seq)
        approximate = CoverageRecorder(heads: shape.heads, seq: shape.seq)
        tiles = FlashAttention().tiles(headDim: shape.headDim)
        weight = method.gate.memoryWeight
        let stride = memory?.stride ?? 0
        let scratch = memory == nil ? 0 : shape.kvHeads * stride * segment
        sigmaT = .allocate(capacity: scratch)
        update = .allocate(capacity: scratch)
    }

    deinit {
        sigmaT.deallocate()
        update.deallocate()
    }

    var localFlops: Int { localEntries.load(ordering: .relaxed) * FlopCount.perEntry(headDim: shape.headDim) }
    var memoryPathFlops: Int { memoryFlops.load(ordering: .relaxed) }

    /// Working memory besides the state: the write scratch and, per worker, one local
    /// attention block and two σ/read tiles.
    static func scratchBytes(method: InfiniAttention, shape: AttentionShape, threads: Int) -> Int {
        let stride = method.gate.usesMemory ? CompressiveMemory.stride(dim: shape.headDim) : 0
        let tiles = FlashAttention().tiles(headDim: shape.headDim)
        let perWorker = QueryBlockAttention(dim: shape.headDim, maxRows: tiles.q, maxKeys: tiles.k).scratchBytes
            + 2 * tiles.q * stride * MemoryLayout<Float>.size
        return 2 * shape.kvHeads * stride * method.streamSegmentLength(seq: shape.seq) * MemoryLayout<Float>.size + threads * perWorker
    }

    /// Processes rows `rows` (the next segment: consecutive, at most `segment` long, only the
    /// last shorter) given as `view`.
    func process(_ view: SegmentView, rows: Range<Int>, threads: Int, cancellation: CancellationFlag) throws {
        guard rows.lowerBound == segmentsDone * segment, rows.count == min(segment, shape.seq - rows.lowerBound) else {
            throw EngineError.internal("infini: segment \(rows) does not follow segment \(segmentsDone) of length \(segment)")
        }
        let h = shape.heads, g = shape.kvHeads
        let qTiles = (rows.count + tiles.q - 1) / tiles.q
        let localItems = h * qTiles
        // No later segment reads what the last one would write, so it is not written.
        let writes = memory != nil && rows.upperBound < shape.seq
        let keyBlocks = writes ? (rows.count + Self.keyBlock - 1) / Self.keyBlock : 0
        // Causal: a segment's last query tiles cost the most, so they go first.
        ParallelFor.run(count: localItems + g * keyBlocks, threads: threads) { item in
            if cancellation.isCancelled { return }
            if item < localItems {
                attendTile(view, rows: rows, head: item % h, tile: qTiles - 1 - item / h)
            } else {
                prepareWrite(view, keys: rows.count, kvHead: (item - localItems) / keyBlocks,
                             block: (item - localItems) % keyBlocks)
            }
        }
        try cancellation.checkCancelled()
        if let memory, writes {
            let rowBlocks = (shape.headDim + Self.rowBlock - 1) / Self.rowBlock
            let (st, up) = (SharedReadPointer(UnsafePointer(sigmaT)), SharedReadPointer(UnsafePointer(update)))
            let perHead = memory.stride * segment
            ParallelFor.run(count: g * rowBlocks, threads: threads) { item in
                let kvh = item / rowBlocks, r0 = (item % rowBlocks) * Self.rowBlock
                let flops = memory.write(head: kvh, block: r0..<min(r0 + Self.rowBlock, shape.headDim),
                                         sigmaT: st.base + kvh * perHead, ldt: segment,
                                         update: up.base + kvh * perHead, keys: rows.count)
                memoryFlops.add(flops, ordering: .relaxed)
            }
            memory.markWritten()
        }
        segmentsDone += 1
    }

    /// Local attention, memory read and mix for one tile of query rows of one head.
    private func attendTile(_ view: SegmentView, rows: Range<Int>, head: Int, tile: Int) {
        let d = shape.headDim, c0 = rows.lowerBound
        let r0 = tile * tiles.q, count = min(tiles.q, rows.count - r0)
        let out = view.out.base.base + head * view.out.headStride + r0 * d
        var tally = exact.tally(head: head)
        if method.gate.usesLocal {
            let kvh = head / (shape.heads / shape.kvHeads)
            let keys = view.k.base.base + kvh * view.k.headStride, values = view.v.base.base + kvh * view.v.headStride
            let block = QueryBlockAttention(dim: d, maxRows: tiles.q, maxKeys: tiles.k)
            block.begin(queries: view.q.base.base + head * view.q.headStride + r0 * d, rows: count, firstPosition: c0 + r0)
            let keyEnd = causal ? r0 + count : rows.count
            let visited = block.attendTiled(keys: keys, values: values, firstKey: c0, count: keyEnd, causal: causal)
            block.finish(into: out)
            for i in 0..<count { tally.add(row: c0 + r0 + i, cols: c0..<c0 + (causal ? r0 + i + 1 : rows.count)) }
            localEntries.add(visited, ordering: .relaxed)
        } else {
            out.initialize(repeating: 0, count: count * d)
        }
        exact.merge(tally)
        guard let memory, memory.isWritten else {
            // First segment: A_mem = 0, so A = (1 − w)·A_dot.
            if weight != 0 { for e in 0..<count * d { out[e] *= 1 - weight } }
            return
        }
        let stride = memory.stride
        let sigma = UnsafeMutablePointer<Float>.allocate(capacity: 2 * count * stride)
        defer { sigma.deallocate() }
        let read = sigma + count * stride
        memory.activate(view.qContent.base.base + head * view.qContent.headStride + r0 * d, rows: count, into: sigma)
        let kvh = head / (shape.heads / shape.kvHeads)
        memoryFlops.add(memory.read(head: kvh, sigma: sigma, rows: count, eps: method.eps, into: read), ordering: .relaxed)
        for i in 0..<count {
            let o = out + i * d, a = read + i * stride
            for c in 0..<d { o[c] = weight * a[c] + (1 - weight) * o[c] }
        }
        var served = approximate.tally(head: head)
        served.addRect(rows: c0 + r0..<c0 + r0 + count, cols: 0..<c0)
        approximate.merge(served)
    }

    /// σ(K)ᵀ and U for one block of keys of one kv head, before any write of this segment.
    private func prepareWrite(_ view: SegmentView, keys: Int, kvHead: Int, block: Int) {
        guard let memory else { return }
        let d = shape.headDim, stride = memory.stride
        let t0 = block * Self.keyBlock, count = min(Self.keyBlock, keys - t0)
        let sigma = UnsafeMutablePointer<Float>.allocate(capacity: 2 * count * stride)
        defer { sigma.deallocate() }
        memory.activate(view.kContent.base.base + kvHead * view.kContent.headStride + t0 * d, rows: count, into: sigma)
        let st = sigmaT + kvHead * stride * segment
        for t in 0..<count {
            for c in 0..<stride { st[c * segment + t0 + t] = sigma[t * stride + c] }
        }
        let u = update + (kvHead * segment + t0) * stride
        let values = view.v.base.base + kvHead * view.v.headStride + t0 * d
        let retrieved = sigma + count * stride
        let delta = method.update == .delta && memory.isWritten
        if delta {
            memoryFlops.add(memory.read(head: kvHead, sigma: sigma, rows: count, eps: method.eps, into: retrieved), ordering: .relaxed)
        }
        for t in 0..<count {
            for c in 0..<d { u[t * stride + c] = values[t * d + c] - (delta ? retrieved[t * stride + c] : 0) }
            for c in d..<stride { u[t * stride + c] = 0 }
        }
    }
}
