/// FlashAttention-3's low-precision forward pass, emulated bit-exactly in float32 on the
/// CPU: the paper's FP16/BF16 kernel (operands in 16 bits, softmax statistics in float32)
/// and its FP8 E4M3 kernel with block quantisation and incoherent processing, plus the
/// baselines its error table compares against (per-tensor scaling, fp16 softmax).
///
/// Steps: (1) Q and K are multiplied by the seeded orthogonal M when `hadamard` is on;
/// (2) Q, K, V are rounded to the working format, with FP8 scales per tensor or per tile
/// (`QuantizedOperand`); (3) the float32 kernel's tile schedule runs `QuantizedQueryBlock`,
/// which rounds at every place the GPU kernel stores a narrow value (see `FlashNumerics`).
/// It is slower than the float32 kernel (the operands are copied and every tile is
/// rounded) but allocates nothing N×N.
///
/// FLOPs: 4·d per mask-allowed (query, key) entry as visited, plus the incoherent
/// transform's additions and scalings (d·log₂d + d per row of Q and K) when it runs.
/// Quantisation and softmax are not counted, as in the float32 kernel.
struct QuantizedFlash {
    let numerics: FlashNumerics
    let tileQ: Int
    let tileK: Int

    func run(_ inputs: AttentionInputs, context: RunContext) throws -> MethodOutput {
        let n = inputs.seq, d = inputs.headDim, h = inputs.heads, group = inputs.groupSize
        let causal = inputs.causal
        let transform = numerics.hadamard ? IncoherentTransform(dim: d, seed: context.seed) : nil
        let format = numerics.operandFormat, granularity = numerics.scaleGranularity
        let q = QuantizedOperand(inputs.q, format: format, granularity: granularity, blockRows: tileQ,
                                 transform: transform, threads: context.threads)
        let k = QuantizedOperand(inputs.k, format: format, granularity: granularity, blockRows: tileK,
                                 transform: transform, threads: context.threads)
        let v = QuantizedOperand(inputs.v, format: format, granularity: granularity, blockRows: tileK,
                                 transform: nil, threads: context.threads)
        try context.checkCancelled()
        let walk = FlashTileWalk(heads: h, seq: n, tileQ: tileQ, tileK: tileK, causal: causal)
        let numerics = self.numerics, bq = tileQ, bk = tileK
        var out = HeadTensor(heads: h, seq: n, dim: d)
        // The kernel's inputs are the quantised operands.
        let quantised = AttentionInputs(q: q.values, k: k.values, v: v.values, causal: causal)
        let (entries, coverage) = out.withSharedPointer { o in
            quantised.withPointers { p in
                walk.run(context: context) {
                    QuantizedTileWorker(block: QuantizedQueryBlock(dim: d, maxRows: bq, maxKeys: bk, numerics: numerics),
                                        q: q, k: k, v: v, pointers: p, o: o, group: group, causal: causal)
                }
            }
        }
        try context.checkCancelled()
        let transformFlops = (transform?.flopsPerRow ?? 0) * n * (h + inputs.kvHeads)
        let scratch = QuantizedQueryBlock(dim: d, maxRows: bq, maxKeys: bk, numerics: numerics).scratchBytes
            * min(context.threads, walk.items)
        let operands = q.values.byteCount + k.values.byteCount + v.values.byteCount
        return MethodOutput(output: out, flops: entries * FlopCount.perEntry(headDim: d) + transformFlops,
                            memoryBytes: scratch + operands, coverage: coverage,
                            extras: [ResultExtra("tile_q", Double(bq)), ResultExtra("tile_k", Double(bk)),
                                     ResultExtra("numerics", .text(numerics.summary))])
    }
}

/// One work item of the emulated kernel: quantised Q rows of one head against the
/// quantised K, V of its kv head, with the descale factors of the blocks it reads.
struct QuantizedTileWorker: FlashTileWorker {
    let block: QuantizedQueryBlock
    let q: QuantizedOperand, k: QuantizedOperand, v: QuantizedOperand
    let pointers: InputPointers
    let o: SharedPointer<Float>
    let group: Int
    let causal: Bool
    var head = 0, firstRow = 0

    mutating func begin(head: Int, firstRow: Int, rows: Int) {
        self.head = head
        self.firstRow = firstRow
        block.begin(queries: pointers.q.base + q.values.offset(head: head, row: firstRow), rows: rows, firstPosition: firstRow,
                    descale: q.descale(head: head, row: firstRow))
    }

    func attend(firstKey: Int, count: Int) -> Int {
        let kvh = head / group
        let base = k.values.offset(head: kvh, row: firstKey)
        return block.attend(keys: pointers.k.base + base, values: pointers.v.base + base, firstKey: firstKey, count: count, causal: causal,
                            keyDescale: k.descale(head: kvh, row: firstKey), valueDescale: v.descale(head: kvh, row: firstKey))
    }

    func finish() { block.finish(into: o.base + q.values.offset(head: head, row: firstRow)) }
}
