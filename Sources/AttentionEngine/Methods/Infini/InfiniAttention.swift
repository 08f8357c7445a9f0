/// Infini-attention (Munkhdalai et al., arXiv 2404.07143): exact causal attention inside
/// segments of `segment` tokens plus a read from a fixed-size compressive memory of every
/// earlier segment, mixed by a gate (see `InfiniRun` for the per-segment steps and
/// `CompressiveMemory` for the memory's equations). Cost grows linearly in N, state not at
/// all. The local path uses the rotated Q/K, the memory path the unrotated content.
///
/// With `--no-causal` the local attention inside a segment is bidirectional; the memory
/// still holds only earlier segments.
public struct InfiniAttention: StreamingAttentionMethod {
    public var segment: Int
    public var update: InfiniUpdate
    public var gate: InfiniGate
    public var eps: Float

    public static let descriptor = MethodDescriptor(
        name: "infini",
        summary: "segment-local exact attention plus a compressive memory of earlier segments (Infini-attention)",
        keys: [
            ParameterKey("segment", default: "2048", "tokens per segment N_seg"),
            ParameterKey("update", default: "linear", "memory write: linear (M += σ(K)ᵀV) or delta (stores V minus what M already returns)",
                         choices: InfiniUpdate.allCases.map(\.rawValue)),
            ParameterKey("gate", default: "0", "β: output sigmoid(β)·A_mem + (1 − sigmoid(β))·A_dot; local (A_dot only) or memory (A_mem only)"),
            ParameterKey("eps", default: "1e-6", "added to the memory read's denominator σ(Q)z"),
        ],
        make: { p in
            InfiniAttention(segment: try p.int("segment", default: 2048, range: 1...RunSpec.limits.seq.upperBound),
                            update: try p.choice("update", default: InfiniUpdate.linear),
                            gate: try InfiniGate.read(&p),
                            eps: Float(try p.double("eps", default: 1e-6, range: 1e-30...1)))
        })

    public init(segment: Int = 2048, update: InfiniUpdate = .linear, gate: InfiniGate = .mix(beta: 0), eps: Float = 1e-6) {
        self.segment = segment
        self.update = update
        self.gate = gate
        self.eps = eps
    }

    /// Segments are read in place; the memory state is d×d per head.
    public func copyBytes(_ shape: AttentionShape) -> Int { 0 }

    public func run(_ inputs: AttentionInputs, context: RunContext) throws -> MethodOutput {
        let shape = inputs.shape
        let state = InfiniRun(method: self, shape: shape, causal: inputs.causal, needle: inputs.annotations.needlePosition)
        var out = HeadTensor(heads: inputs.heads, seq: inputs.seq, dim: inputs.headDim)
        for rows in streamSegments(seq: inputs.seq) {
            try SegmentView.with(inputs, output: &out, rows: rows) { view in
                try state.process(view, rows: rows, threads: context.threads, cancellation: context.cancellation)
            }
            context.progress(Double(rows.upperBound) / Double(inputs.seq))
        }
        return summary(of: state, output: out, threads: context.threads)
    }

    /// The run's figures. `memory_bytes` is the state alone (what grows with N in exact
    /// attention is the KV cache, `kv_cache_bytes`); scratch is reported beside it.
    func summary(of state: InfiniRun, output: HeadTensor, threads: Int) -> MethodOutput {
        let shape = state.shape
        let stateBytes = state.memory?.stateBytes ?? 0
        let kvCache = 2 * shape.kvHeads * shape.seq * shape.headDim * MemoryLayout<Float>.size
        let local = state.localFlops, mem = state.memoryPathFlops
        let seg = streamSegmentLength(seq: shape.seq)
        // How many memory writes lie between the needle and the last query: 0 = same segment.
        let needle = state.needle.map { [ResultExtra("needle_segments_back", Double((shape.seq - 1) / seg - $0 / seg))] } ?? []
        return MethodOutput(
            output: output, flops: local + mem, memoryBytes: stateBytes,
            selection: streamedSelection(shape: shape, causal: state.causal),
            coverage: state.exact.finish(causal: state.causal),
            approximateCoverage: state.approximate.finish(causal: state.causal),
            errorBands: ErrorBands(column: "segment_rmse", rowsPerBand: seg),
            extras: [
                ResultExtra("segment", Double(seg)),
                ResultExtra("segments", Double(state.segmentsDone)),
                ResultExtra("update", .text(update.rawValue)),
                ResultExtra("gate", .text(gate.text)),
                ResultExtra("memory_weight", Double(gate.memoryWeight)),
                ResultExtra("kv_cache_bytes", Double(kvCache)),
                ResultExtra("compression", stateBytes > 0 ? Double(kvCache) / Double(stateBytes) : .infinity),
                ResultExtra("local_flops", Double(local)),
                ResultExtra("memory_flops", Double(mem)),
                ResultExtra("scratch_bytes", Double(InfiniRun.scratchBytes(method: self, shape: shape, threads: threads))),
            ] + needle)
    }

    // MARK: streaming

    public var streamScope: StreamScope { .everyRow }

    /// The segment length actually used: `segment`, or N when the sequence is shorter.
    public func streamSegmentLength(seq: Int) -> Int { min(segment, seq) }

    public func streamedSelection(shape: AttentionShape, causal: Bool) -> (any KeySelection)? {
        SegmentLocalSelection(segment: streamSegmentLength(seq: shape.seq), seq: shape.seq, causal: causal, computed: gate.usesLocal)
    }

    public func makeStream(_ setup: StreamSetup, context: RunContext) throws -> any AttentionStream {
        InfiniStream(method: self, setup: setup, threads: context.threads, cancellation: context.cancellation)
    }

    /// One segment's output, the write scratch and the memory (see `InfiniStream`).
    public func streamBytes(shape: AttentionShape, rows: Int, threads: Int) -> Int {
        let segmentOutput = MemoryLayout<Float>.size * shape.heads * streamSegmentLength(seq: shape.seq) * shape.headDim
        let memory = gate.usesMemory ? CompressiveMemory.bufferBytes(heads: shape.kvHeads, dim: shape.headDim) : 0
        return segmentOutput + InfiniRun.scratchBytes(method: self, shape: shape, threads: threads) + memory
    }
}

/// The keys Infini-attention computes exactly for a row: its own segment up to itself
/// (causal) or the whole segment; nothing with `gate=memory`. `recall` against it is the
/// local share: the part of the exact softmax mass that the segment-local attention sees.
public struct SegmentLocalSelection: KeySelection {
    public let segment: Int
    public let seq: Int
    public let causal: Bool
    public let computed: Bool

    /// `computed` is false when the local attention is not computed at all (`gate=memory`).
    public init(segment: Int, seq: Int, causal: Bool, computed: Bool) {
        self.segment = segment; self.seq = seq; self.causal = causal; self.computed = computed
    }

    public func keyRanges(head: Int, row: Int) -> [Range<Int>] {
        guard computed else { return [] }
        let start = row / segment * segment
        return [start..<(causal ? row + 1 : min(start + segment, seq))]
    }
}
