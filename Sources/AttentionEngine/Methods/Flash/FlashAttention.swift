/// FlashAttention-style exact attention in float32: each worker takes one (head, query
/// tile), streams the key/value tiles through `QueryBlockAttention` (online softmax), skips
/// tiles entirely above the causal diagonal and masks inside diagonal tiles. Query heads
/// read their kv head in place (GQA without copying). Nothing N×N is allocated.
///
/// With `precision`, `scaling`, `hadamard` or `softmax` set away from plain float32, the
/// same tile schedule runs FlashAttention-3's low-precision numerics instead
/// (`QuantizedFlash`); the float32 kernel is untouched by those options.
///
/// FLOPs: 4·d per (query, key) entry the mask allows, counted per tile as visited, so a
/// causal run counts exactly 4·d·H·N(N+1)/2. Inside a diagonal tile the float32 kernel skips
/// whole groups of 16 query rows that see none of the tile's keys; in the groups it does
/// compute, the masked entries (at most 15 per row and tile) are computed, then zeroed, and
/// not counted.
public struct FlashAttention: AttentionMethod {
    public var tileQ: Int?
    public var tileK: Int?
    public var numerics: FlashNumerics

    public static let descriptor = MethodDescriptor(
        name: "flash",
        summary: "exact tiled attention with online softmax (FlashAttention-3 style); float32, or emulated bf16/fp16/fp8",
        keys: [
            ParameterKey("tile_q", default: "auto", "query rows per tile (auto: 128)"),
            ParameterKey("tile_k", default: "auto", "keys per tile (auto: 256 for head dim ≤ 128, 32768/d beyond; 128 for emulated precisions)"),
        ] + FlashNumerics.keys,
        make: { p in
            FlashAttention(tileQ: try p.optionalInt("tile_q", range: 4...1024, unset: "auto"),
                           tileK: try p.optionalInt("tile_k", range: 16...4096, unset: "auto"),
                           numerics: try FlashNumerics(reading: &p))
        })

    public init(tileQ: Int? = nil, tileK: Int? = nil, numerics: FlashNumerics = FlashNumerics()) {
        self.tileQ = tileQ
        self.tileK = tileK
        self.numerics = numerics
    }

    /// Tile sizes: what was asked, or defaults. Emulated precisions use 128 × 128,
    /// FlashAttention-3's query tile at d = 128 (its key tiles are 128–176 for 16-bit, 224 for
    /// fp8), which is also the FP8 block quantisation granularity.
    ///
    /// Float32: a worker streams each K/V tile from L2 once per lane block of 16 queries, so
    /// tile_k need only fit L2 (1 MiB here) and be long enough to amortise the per-tile
    /// softmax bookkeeping: 256 keys while the K and V tile stay within 256 KiB (d ≤ 128),
    /// fewer for wider heads. Each work item reads its keys from memory once, so more query
    /// rows per item mean less memory traffic (what two busy workers contend for); 128 rows
    /// still give 2·N/128 items per head pair to balance. Measured on the project machine:
    /// one thread, causal N = 8192–16384, d = 64–256, CPU time: 64×256 ~90 GFLOP/s per core,
    /// 64×64 ~75; two threads, causal N = 16384, H = 8, d = 128, quiet: 64×256 194,
    /// 128×256 198, 256×256 203 GFLOP/s.
    public func tiles(headDim d: Int) -> (q: Int, k: Int) {
        if !numerics.isPlainFloat32 { return (tileQ ?? 128, tileK ?? 128) }
        return (tileQ ?? 128, tileK ?? max(16, min(256, 32768 / max(d, 1) / 16 * 16)))
    }

    /// Emulated precisions round Q, K and V into operands of their own (`QuantizedOperand`).
    public func copyBytes(_ shape: AttentionShape) -> Int {
        numerics.isPlainFloat32 ? 0 : MemoryBudget.inputBytes(shape, rotated: false, outputs: 0)
    }

    public func run(_ inputs: AttentionInputs, context: RunContext) throws -> MethodOutput {
        let (bq, bk) = tiles(headDim: inputs.headDim)
        if !numerics.isPlainFloat32 {
            return try QuantizedFlash(numerics: numerics, tileQ: bq, tileK: bk).run(inputs, context: context)
        }
        let n = inputs.seq, d = inputs.headDim, h = inputs.heads, group = inputs.groupSize
        let causal = inputs.causal
        let walk = FlashTileWalk(heads: h, seq: n, tileQ: bq, tileK: bk, causal: causal)
        var out = HeadTensor(heads: h, seq: n, dim: d)
        let (entries, coverage) = out.withSharedPointer { o in
            inputs.withPointers { p in
                walk.run(context: context) {
                    ExactTileWorker(block: QueryBlockAttention(dim: d, maxRows: bq, maxKeys: bk),
                                    inputs: p, o: o, seq: n, dim: d, group: group, causal: causal)
                }
            }
        }
        try context.checkCancelled()
        let scratch = QueryBlockAttention(dim: d, maxRows: bq, maxKeys: bk).scratchBytes * min(context.threads, walk.items)
        return MethodOutput(output: out, flops: entries * FlopCount.perEntry(headDim: d),
                            memoryBytes: scratch, coverage: coverage,
                            extras: [ResultExtra("tile_q", Double(bq)), ResultExtra("tile_k", Double(bk))])
    }
}

/// One work item of the float32 kernel: the `QueryBlockAttention` core reading Q, K, V in
/// place (query head h reads kv head h / group).
struct ExactTileWorker: FlashTileWorker {
    let block: QueryBlockAttention
    let inputs: InputPointers
    let o: SharedPointer<Float>
    let seq: Int, dim: Int, group: Int
    let causal: Bool
    var head = 0, firstRow = 0

    mutating func begin(head: Int, firstRow: Int, rows: Int) {
        self.head = head
        self.firstRow = firstRow
        block.begin(queries: inputs.q.base + (head * seq + firstRow) * dim, rows: rows, firstPosition: firstRow)
    }

    func attend(firstKey: Int, count: Int) -> Int {
        let base = ((head / group) * seq + firstKey) * dim
        return block.attend(keys: inputs.k.base + base, values: inputs.v.base + base, firstKey: firstKey, count: count, causal: causal)
    }

    func finish() { block.finish(into: o.base + (head * seq + firstRow) * dim) }
}
