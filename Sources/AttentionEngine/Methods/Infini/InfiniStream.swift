/// Infini-attention on a stream: each segment's output is computed into one segment-sized
/// buffer, its reference rows are kept, and the buffer is reused, so memory is the state,
/// the scratch and one segment, whatever N is.
final class InfiniStream: AttentionStream {
    let method: InfiniAttention
    let state: InfiniRun
    let threads: Int
    let cancellation: CancellationFlag
    private var segmentOutput: HeadTensor
    private var kept: SampledRowCollector

    init(method: InfiniAttention, setup: StreamSetup, threads: Int, cancellation: CancellationFlag) {
        self.method = method
        self.threads = threads
        self.cancellation = cancellation
        state = InfiniRun(method: method, shape: setup.shape, causal: setup.causal, needle: setup.annotations.needlePosition)
        let shape = setup.shape
        segmentOutput = HeadTensor(heads: shape.heads, seq: method.streamSegmentLength(seq: shape.seq), dim: shape.headDim)
        kept = SampledRowCollector(rows: setup.rows, heads: shape.heads, dim: shape.headDim)
    }

    func consume(_ segment: AttentionInputs, firstRow: Int) throws {
        let rows = firstRow..<firstRow + segment.seq
        if segment.seq != segmentOutput.seq {
            segmentOutput = HeadTensor(heads: segment.heads, seq: segment.seq, dim: segment.headDim)
        }
        try SegmentView.with(segment, output: &segmentOutput, rows: 0..<segment.seq) { view in
            try state.process(view, rows: rows, threads: threads, cancellation: cancellation)
        }
        kept.collect(from: segmentOutput, firstRow: firstRow)
    }

    func finish() throws -> MethodOutput {
        let seq = state.shape.seq
        let expected = method.streamSegments(seq: seq).count
        guard state.segmentsDone == expected else {
            throw EngineError.internal("infini stream finished after \(state.segmentsDone) of \(expected) segments")
        }
        return method.summary(of: state, output: kept.output, threads: threads)
    }
}
