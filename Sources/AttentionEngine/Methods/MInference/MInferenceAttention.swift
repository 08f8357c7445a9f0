import Dispatch
import Foundation
import Synchronization

/// MInference 1.0 (arXiv 2407.02490): dynamic sparse attention for long-prompt prefill.
/// Each head runs one of three patterns — A-shape, Vertical-Slash or Block-Sparse — chosen
/// per head (fixed, from a MInference config file, or by `pattern=auto`'s search); the
/// pattern's index is estimated online from the head's own Q and K, then a sparse kernel
/// computes exact online-softmax attention over just the keys the index covers.
///
/// Two timed phases per run: index estimation (and search), then the sparse kernel over
/// every (head, query block), last blocks first. FLOPs = 4·d per visited entry plus the
/// estimation's own, reported separately as `index_flops`. Causal attention only: MInference
/// is a prefill method for decoder models.
public struct MInferenceAttention: AttentionMethod {
    public var parameters: MInferenceParameters

    public static let descriptor = MethodDescriptor(
        name: "minference",
        summary: "MInference 1.0 dynamic sparse attention: A-shape, Vertical-Slash, Block-Sparse per head, online index",
        keys: MInferenceParameters.keys,
        make: { p in MInferenceAttention(parameters: try MInferenceParameters(&p)) })

    public init(parameters: MInferenceParameters = MInferenceParameters()) {
        self.parameters = parameters
    }

    /// Each head's pattern, index and (auto only) search error, after the estimation phase.
    struct HeadPlan {
        var pattern: SparsePattern
        var index: HeadIndex
        var searchError: Double?
    }

    /// `slash_mode=exact` lays K and V out again, one sliding copy per diagonal phase.
    public func copyBytes(_ shape: AttentionShape) -> Int {
        parameters.slashMode == .exact ? SlidingTransposedKeys.bytes(kvHeads: shape.kvHeads, seq: shape.seq, dim: shape.headDim) : 0
    }

    public func check(_ shape: AttentionShape, causal: Bool, rope: RopeSettings) throws {
        guard causal else {
            throw EngineError.usage("method 'minference' needs the causal mask: MInference is a prefill method for decoder attention")
        }
    }

    public func run(_ inputs: AttentionInputs, context: RunContext) throws -> MethodOutput {
        try check(inputs.shape, causal: inputs.causal, rope: inputs.rope)
        let n = inputs.seq, d = inputs.headDim, h = inputs.heads, b = parameters.block
        let tileK = FlashAttention().tiles(headDim: d).k
        var out = HeadTensor(heads: h, seq: n, dim: d)
        var indexFlops = 0, estimationBytes = 0
        var plans: [HeadPlan] = []
        let coverage = CoverageRecorder(heads: h, seq: n)
        let entries = Atomic<Int>(0)
        var indexNanos: UInt64 = 0, kernelNanos: UInt64 = 0, scratchBytes = 0

        try withKernel(inputs, block: b, tileK: tileK) { estimator in
            var sparse = estimator
            let t0 = DispatchTime.now().uptimeNanoseconds
            for head in 0..<h {
                try context.checkCancelled()
                plans.append(plan(head: head, inputs: inputs, kernel: estimator, threads: context.threads,
                                  flops: &indexFlops, bytes: &estimationBytes))
            }
            let t1 = DispatchTime.now().uptimeNanoseconds
            indexNanos = t1 - t0
            if plans.contains(where: \.index.needsDiagonalKeys) {
                sparse.diagonalKeys = inputs.withPointers { p in
                    SlidingTransposedKeys(keys: p.k.base, values: p.v.base, kvHeads: inputs.kvHeads, seq: n, dim: d, threads: context.threads)
                }
            }
            let indices = plans.map(\.index)
            let items = MInferenceAttention.workItems(indices, block: b, seq: n), total = items.count
            let done = Atomic<Int>(0)
            let kernel = sparse
            let exact = kernel.diagonalKeys != nil
            scratchBytes = kernel.makeScratch().bytes(diagonals: exact) * min(context.threads, total) + (kernel.diagonalKeys?.bytes ?? 0)
            out.withSharedPointer { o in
                ParallelFor.run(count: total, threads: context.threads) { item in
                    if context.cancellation.isCancelled { return }
                    let (head, rows) = items[item]
                    var tally: CoverageTally? = coverage.tally(head: head)
                    let visited = kernel.run(head: head, rows: rows, cover: indices[head].cover(queryBlock: rows.lowerBound / b, block: b, seq: n),
                                             scratch: kernel.makeScratch(), out: o.base + (head * n + rows.lowerBound) * d, tally: &tally)
                    if let tally { coverage.merge(tally) }
                    entries.add(visited, ordering: .relaxed)
                    context.progress(Double(done.add(1, ordering: .relaxed).newValue) / Double(total))
                }
            }
            kernelNanos = DispatchTime.now().uptimeNanoseconds - t1
        }
        try context.checkCancelled()
        let kernelFlops = entries.load(ordering: .relaxed) * FlopCount.perEntry(headDim: d)
        let indexBytes = plans.reduce(0) { $0 + $1.index.bytes }
        var extras = [
            ResultExtra("index_flops", Double(indexFlops)),
            ResultExtra("index_ms", Double(indexNanos) / 1e6),
            ResultExtra("kernel_gflops", kernelNanos > 0 ? Double(kernelFlops) / Double(kernelNanos) : 0),
            ResultExtra("pattern", .perHead(plans.map(\.pattern.label))),
        ]
        if plans.contains(where: { $0.searchError != nil }) {
            extras.append(ResultExtra("search_err", .perHeadNumbers(plans.map { $0.searchError ?? .nan })))
        }
        return MethodOutput(output: out, flops: kernelFlops + indexFlops,
                            memoryBytes: estimationBytes + indexBytes + scratchBytes,
                            selection: MInferenceSelection(indices: plans.map(\.index), seq: n, block: b),
                            coverage: coverage.finish(causal: true), extras: extras)
    }

    /// The kernel's work: per head, query blocks of `block` rows (exact-diagonal heads: groups
    /// of `SparseBlockKernel.diagonalRows`), the last rows (the most keys) first.
    static func workItems(_ indices: [HeadIndex], block: Int, seq: Int) -> [(head: Int, rows: Range<Int>)] {
        let items = indices.enumerated().flatMap { head, index in
            let step = index.needsDiagonalKeys ? SparseBlockKernel.diagonalRows : block
            return stride(from: 0, to: seq, by: step).map { (head: head, rows: $0..<min(seq, $0 + step)) }
        }
        return items.sorted { ($0.rows.lowerBound, -$0.head) > ($1.rows.lowerBound, -$1.head) }
    }

    /// Head `head`'s pattern and its online index (searching first under `pattern=auto`).
    func plan(head: Int, inputs: AttentionInputs, kernel: SparseBlockKernel, threads: Int,
              flops: inout Int, bytes: inout Int) -> HeadPlan {
        let n = inputs.seq
        guard let pattern = parameters.pattern(head: head, seq: n)?.clamped(seq: n, block: parameters.block) else {
            let choice = PatternSearch(kernel: kernel, inputs: inputs, parameters: parameters, threads: threads)
                .choose(head: head, flops: &flops, bytes: &bytes)
            return HeadPlan(pattern: choice.pattern, index: choice.index, searchError: choice.error)
        }
        switch pattern {
        case .aShape(let sink, let local):
            return HeadPlan(pattern: pattern, index: .aShape(sink: sink, local: local))
        case .verticalSlash(let v, let s):
            let e = VerticalSlashEstimate.estimate(inputs, head: head, lastQ: parameters.lastQ, vertical: v, slash: s, threads: threads)
            flops += e.flops
            bytes = max(bytes, e.bytes)
            return HeadPlan(pattern: pattern, index: e.index(vertical: v, slash: s, seq: n, slashMode: parameters.slashMode))
        case .blockSparse(let k):
            let e = BlockSparseEstimator.estimate(inputs, head: head, block: parameters.block, topK: k, threads: threads)
            flops += e.flops
            bytes = max(bytes, e.bytes)
            return HeadPlan(pattern: pattern, index: e.index)
        }
    }

    /// Runs `body` with a kernel reading the inputs in place.
    func withKernel<R>(_ inputs: AttentionInputs, block: Int, tileK: Int, _ body: (SparseBlockKernel) throws -> R) rethrows -> R {
        try inputs.withPointers { p in
            try body(SparseBlockKernel(tensors: p, seq: inputs.seq, dim: inputs.headDim,
                                       groupSize: inputs.groupSize, block: block, tileK: tileK))
        }
    }
}

extension HeadIndex {
    var needsDiagonalKeys: Bool {
        if case .diagonals = self { return true }
        return false
    }

    /// Bytes the index holds.
    var bytes: Int {
        switch self {
        case .aShape, .dense: 0
        case .verticalSlash(let c, let o): 4 * (c.count + o.count)
        case .diagonals(let index): index.bytes
        case .blockSparse(let blocks): blocks.reduce(0) { $0 + 4 * $1.count }
        }
    }
}

/// The keys each query row's output was computed from, for recall: exactly the kernel's cover.
struct MInferenceSelection: KeySelection {
    let indices: [HeadIndex]
    let seq: Int
    let block: Int

    func keyRanges(head: Int, row: Int) -> [Range<Int>] {
        indices[head].cover(queryBlock: row / block, block: block, seq: seq).keyRanges(row: row)
    }
}
