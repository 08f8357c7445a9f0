import Synchronization

/// Standard (non-fused) attention in 16 bits, as a framework computes it from fp16 or
/// bf16 tensors with one GEMM, one softmax and one GEMM (the "standard attention"
/// baseline of FlashAttention-3's error table, §4.3; e.g. flash-attn's `attention_ref`
/// without upcasting). With r(·) rounding to the format:
///
///     Q̃ = r(r(Q) / √d),   K̃ = r(K),   Ṽ = r(V)
///     S = r(Q̃·K̃ᵀ)        GEMM: exact products, float32 accumulation, 16-bit result
///     P = r(softmax(S))   float32 max, exp, sum and divide over the 16-bit row, 16-bit result
///     O = r(P·Ṽ)          GEMM: float32 accumulation, 16-bit result
///
/// The difference from the flash kernel at the same precision is where the softmax input
/// lives: here the scores themselves are rounded to 16 bits before the exponential (an
/// absolute error of up to half an ulp of |s|, e.g. 2⁻⁸ for scores in [4, 8) in fp16, which
/// becomes a relative error of the probability), while flash keeps them in float32.
///
/// Rows are independent, so it runs 16 query rows at a time per worker (a 16 × N score
/// block, never N × N). Kᵀ and V are rounded and packed once per kv head. exp is the
/// engine's SIMD `fastExp` (relative error 2.5e-7, far below 16-bit rounding).
struct LowPrecisionDense {
    let format: FloatFormat
    static let rowBlock = 16

    /// Rows and columns of the packed operands are padded to multiples of 16.
    static func padded(_ x: Int) -> Int { (x + 15) / 16 * 16 }

    /// Bytes of the packed K̃ᵀ and Ṽ.
    static func packedBytes(_ s: AttentionShape) -> Int {
        2 * MemoryLayout<Float>.size * s.kvHeads * padded(s.headDim) * padded(s.seq)
    }

    func run(_ inputs: AttentionInputs, context: RunContext) throws -> MethodOutput {
        let n = inputs.seq, d = inputs.headDim, h = inputs.heads, g = inputs.kvHeads, group = inputs.groupSize
        let causal = inputs.causal, format = self.format
        let dPad = Self.padded(d), nPad = Self.padded(n), rb = Self.rowBlock
        // Packed, rounded K̃ᵀ [g][dPad][nPad] and Ṽ [g][nPad][dPad], zero padded.
        var kt = HeadTensor(heads: g, seq: dPad, dim: nPad)
        var vt = HeadTensor(heads: g, seq: nPad, dim: dPad)
        let blocks = (n + rb - 1) / rb
        var out = HeadTensor(heads: h, seq: n, dim: d)
        let entries = Atomic<Int>(0)
        let allowed = FlopCount.allowedEntries(seq: n, heads: h, causal: causal)
        let coverage = CoverageRecorder(heads: h, seq: n)
        let sqrtD = Float(d).squareRoot()
        kt.withSharedPointer { ktp in
        vt.withSharedPointer { vtp in
        out.withSharedPointer { o in
        inputs.withPointers { p in
            ParallelFor.run(count: g, threads: context.threads) { kvh in
                for j in 0..<n {
                    for c in 0..<d {
                        ktp.base[(kvh * dPad + c) * nPad + j] = format.round(p.k.base[(kvh * n + j) * d + c])
                        vtp.base[(kvh * nPad + j) * dPad + c] = format.round(p.v.base[(kvh * n + j) * d + c])
                    }
                }
            }
            ParallelFor.run(count: h * blocks, threads: context.threads) { item in
                if context.cancellation.isCancelled { return }
                let head = item % h, r0 = (blocks - 1 - item / h) * rb
                let rows = min(rb, n - r0), kvh = head / group
                let keyEnd = causal ? r0 + rows : n, width = (keyEnd + 15) / 16 * 16
                let qBlock = UnsafeMutablePointer<Float>.allocate(capacity: rb * dPad)
                let sBlock = UnsafeMutablePointer<Float>.allocate(capacity: rb * nPad)
                let oBlock = UnsafeMutablePointer<Float>.allocate(capacity: rb * dPad)
                defer { qBlock.deallocate(); sBlock.deallocate(); oBlock.deallocate() }
                qBlock.initialize(repeating: 0, count: rb * dPad)
                for i in 0..<rows {
                    for c in 0..<d { qBlock[i * dPad + c] = format.round(format.round(p.q.base[(head * n + r0 + i) * d + c]) / sqrtD) }
                }
                // S = r(Q̃·K̃ᵀ) for keys 0..<keyEnd.
                MicroKernels.multiply(a: qBlock, lda: dPad, b: ktp.base + kvh * dPad * nPad, ldb: nPad, c: sBlock, ldc: nPad,
                                      m: rb, k: dPad, n: width, accumulate: false)
                var visited = 0
                var tally = coverage.tally(head: head)
                for i in 0..<rows {
                    let allowed = FlopCount.allowedKeys(row: r0 + i, seq: n, causal: causal)
                    visited += allowed
                    tally.add(row: r0 + i, cols: 0..<allowed)
                    Self.softmaxRow(sBlock + i * nPad, allowed: allowed, width: width, format: format)
                }
                // O = r(P·Ṽ); masked probabilities are zero.
                MicroKernels.multiply(a: sBlock, lda: nPad, b: vtp.base + kvh * nPad * dPad, ldb: dPad, c: oBlock, ldc: dPad,
                                      m: rb, k: keyEnd, n: dPad, accumulate: false)
                for i in 0..<rows {
                    let dst = o.base + (head * n + r0 + i) * d
                    dst.update(from: oBlock + i * dPad, count: d)
                    format.round(dst, count: d)
                }
                coverage.merge(tally)
                context.tallyEntries(visited, into: entries, of: allowed)
            }
        }}}}
        try context.checkCancelled()
        // Packed K̃ᵀ and Ṽ, plus one score block, query block and output block per worker.
        let perWorker = (rb * nPad + 2 * rb * dPad) * MemoryLayout<Float>.size
        let memory = kt.byteCount + vt.byteCount + min(context.threads, h * blocks) * perWorker
        return MethodOutput(output: out, flops: entries.load(ordering: .relaxed) * FlopCount.perEntry(headDim: d),
                            memoryBytes: memory, coverage: coverage.finish(causal: causal), extras: [ResultExtra("numerics", .text("\(format) standard"))])
    }

    /// One row of scores (float32 GEMM output) → r(S) → r(softmax) over the first `allowed`
    /// entries; entries `allowed ..< width` become 0.
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, allowed: Int, width: Int, format: FloatFormat) {
        var mx = SIMD16<Float>(repeating: -.infinity)
        var j = 0
        while j < width {
            let x = maskingLanes(format.round(load(row + j)), from: allowed - j, with: -.infinity)
            store(x, row + j)
            mx = lanewiseMax(mx, x)
            j += 16
        }
        let rowMax = SIMD16<Float>(repeating: mx.max())
        var sum = SIMD16<Float>.zero
        j = 0
        while j < width {
            let e = fastExp(load(row + j) - rowMax)
            sum += e
            store(e, row + j)
            j += 16
        }
        let total = SIMD16<Float>(repeating: sum.sum())
        j = 0
        while j < width {
            store(format.round(load(row + j) / total), row + j)
            j += 16
        }
    }
}
