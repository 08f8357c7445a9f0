import Foundation
import Synchronization

/// Standard (non-fused) attention in float32, one query row at a time: the whole score row
/// S = q·Kᵀ/√d is written out, softmaxed with its true maximum, then multiplied by V. It
/// is what a framework does without a fused kernel, minus the N×N buffer: rows are done
/// one at a time (per worker) so memory stays O(N). With `precision=fp16` or `bf16` it is
/// the 16-bit standard attention of `LowPrecisionDense` instead.
public struct DenseAttention: AttentionMethod {
    /// fp32, bf16 or fp16 (FP8 standard attention is not a baseline anyone runs).
    public var precision: NumericPrecision

    public static let descriptor = MethodDescriptor(
        name: "dense",
        summary: "standard attention: full score row, softmax, then P·V (float32, or 16-bit with rounded S and P)",
        keys: [
            ParameterKey("precision", default: "fp32", "fp32, or bf16/fp16: Q, K, V, scores, probabilities and output rounded as a non-fused 16-bit implementation does",
                         choices: ["fp32", "bf16", "fp16"]),
        ],
        make: { p in
            let precision = try p.choice("precision", default: NumericPrecision.fp32)
            if precision == .fp8 {
                throw EngineError.usage("method 'dense': key 'precision=fp8' is not supported; dense takes fp32, bf16 or fp16 (FP8 is flash:precision=fp8)")
            }
            return DenseAttention(precision: precision)
        })

    public init(precision: NumericPrecision = .fp32) { self.precision = precision }

    /// 16-bit precisions pack rounded Kᵀ and V once per kv head.
    public func copyBytes(_ shape: AttentionShape) -> Int {
        precision == .fp32 ? 0 : LowPrecisionDense.packedBytes(shape)
    }

    public func run(_ inputs: AttentionInputs, context: RunContext) throws -> MethodOutput {
        if precision != .fp32 { return try LowPrecisionDense(format: precision.storage).run(inputs, context: context) }
        let n = inputs.seq, d = inputs.headDim, h = inputs.heads, group = inputs.groupSize
        let causal = inputs.causal
        let rowBlock = 16
        let blocks = (n + rowBlock - 1) / rowBlock
        var out = HeadTensor(heads: h, seq: n, dim: d)
        let entries = Atomic<Int>(0)
        let allowed = FlopCount.allowedEntries(seq: n, heads: h, causal: causal)
        let coverage = CoverageRecorder(heads: h, seq: n)
        let scale = 1 / Float(d).squareRoot()
        out.withSharedPointer { o in
        inputs.withPointers { p in
            let (qp, kp, vp) = (p.q, p.k, p.v)
            ParallelFor.run(count: h * blocks, threads: context.threads) { item in
                if context.cancellation.isCancelled { return }
                let head = item % h, r0 = (blocks - 1 - item / h) * rowBlock
                let kBase = kp.base + (head / group) * n * d, vBase = vp.base + (head / group) * n * d
                var row = [Float](repeating: 0, count: n)
                var acc = [Float](repeating: 0, count: d)
                var visited = 0
                var tally = coverage.tally(head: head)
                for i in r0..<min(r0 + rowBlock, n) {
                    let q = qp.base + (head * n + i) * d
                    let keys = FlopCount.allowedKeys(row: i, seq: n, causal: causal)
                    var mx = -Float.infinity
                    for j in 0..<keys {
                        var s: Float = 0
                        let k = kBase + j * d
                        for c in 0..<d { s += q[c] * k[c] }
                        row[j] = s * scale
                        mx = max(mx, row[j])
                    }
                    var sum: Float = 0
                    for j in 0..<keys { row[j] = expf(row[j] - mx); sum += row[j] }
                    for c in 0..<d { acc[c] = 0 }
                    for j in 0..<keys {
                        let p = row[j] / sum, v = vBase + j * d
                        for c in 0..<d { acc[c] += p * v[c] }
                    }
                    let dst = o.base + (head * n + i) * d
                    for c in 0..<d { dst[c] = acc[c] }
                    visited += keys
                    tally.add(row: i, cols: 0..<keys)
                }
                coverage.merge(tally)
                context.tallyEntries(visited, into: entries, of: allowed)
            }
        }}
        try context.checkCancelled()
        // Scratch: one score row and one accumulator per worker.
        let memory = min(context.threads, h * blocks) * (n + d) * MemoryLayout<Float>.size
        return MethodOutput(output: out, flops: entries.load(ordering: .relaxed) * FlopCount.perEntry(headDim: d),
                            memoryBytes: memory, coverage: coverage.finish(causal: causal))
    }
}
