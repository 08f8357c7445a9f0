/// A method that can also run on inputs that arrive segment by segment, so a run never
/// holds whole Q, K, V or O (`attnscope run --method infini --seq 1048576`).
///
/// The runner streams a run when its workload is generated (not `--inputs`), every variant
/// conforms, and at least one streams `.everyRow` (a method whose own algorithm is a
/// stream, e.g. Infini-attention). Exact methods join such a run with `.sampledRows`: they
/// compute only the reference rows, so they are not streamed on their own.
public protocol StreamingAttentionMethod: AttentionMethod {
    /// Which rows a stream of this method computes.
    var streamScope: StreamScope { get }
    /// Rows per segment the stream wants; segments are consecutive and only the last may be shorter.
    func streamSegmentLength(seq: Int) -> Int
    /// The keys each query row will compute exactly, fixed by the parameters alone, so a
    /// streamed reference can measure `recall` in its own pass. nil: every allowed key.
    func streamedSelection(shape: AttentionShape, causal: Bool) -> (any KeySelection)?
    /// A fresh stream for one run.
    func makeStream(_ setup: StreamSetup, context: RunContext) throws -> any AttentionStream
    /// Bytes one stream holds besides the segment of inputs it is fed and its kept reference
    /// rows (its state, scratch and segment output), so that a streamed run too large for
    /// the machine is refused before it starts.
    func streamBytes(shape: AttentionShape, rows: Int, threads: Int) -> Int
}

extension StreamingAttentionMethod {
    /// The segments a stream of this method consumes over `seq` rows.
    public func streamSegments(seq: Int) -> [Range<Int>] { rowRanges(seq: seq, length: streamSegmentLength(seq: seq)) }
}

/// Consecutive ranges of `length` rows covering 0 ..< seq; only the last may be shorter.
func rowRanges(seq: Int, length: Int) -> [Range<Int>] {
    stride(from: 0, to: seq, by: length).map { $0..<min($0 + length, seq) }
}

public enum StreamScope: Sendable, Equatable {
    /// Every row of the output is computed (what the method costs at this N).
    case everyRow
    /// Only the reference rows are computed (an exact method shown beside a streaming one).
    case sampledRows
}

/// What a stream knows before its first segment.
public struct StreamSetup: Sendable {
    public var shape: AttentionShape
    public var causal: Bool
    /// The reference rows (same for every head), ascending: the rows whose output is kept.
    public var rows: [Int]
    /// The reference rows of Q after the positional stage, [heads, rows.count, dim]. A row's
    /// query arrives with its own segment, after every key it attends to; streams that
    /// compute a row as its keys go by (`.sampledRows`) need it up front.
    public var queries: HeadTensor
    /// What the workload generator knows about the whole sequence (e.g. the needle's position).
    public var annotations: WorkloadAnnotations

    public init(shape: AttentionShape, causal: Bool, rows: [Int], queries: HeadTensor, annotations: WorkloadAnnotations = .init()) {
        self.shape = shape; self.causal = causal; self.rows = rows; self.queries = queries; self.annotations = annotations
    }
}

/// One run of a streaming method. The runner calls `consume` for consecutive segments
/// covering 0 ..< seq, then `finish` once.
public protocol AttentionStream: AnyObject {
    /// Processes rows `firstRow ..< firstRow + segment.seq` of every head: `segment` holds
    /// those rows of Q, K, V (q/k rotated at their absolute positions, qContent/kContent not).
    func consume(_ segment: AttentionInputs, firstRow: Int) throws
    /// The run's result. `output` holds only the reference rows, [heads, rows.count, dim]
    /// in the order of `StreamSetup.rows`; FLOPs, memory, coverage and extras as in a normal run.
    func finish() throws -> MethodOutput
}

/// Keeps the reference rows of an output as a stream produces it segment by segment.
public struct SampledRowCollector: Sendable {
    public let rows: [Int]
    public private(set) var output: HeadTensor

    public init(rows: [Int], heads: Int, dim: Int) {
        self.rows = rows
        output = HeadTensor(heads: heads, seq: rows.count, dim: dim)
    }

    /// Copies the reference rows among `firstRow ..< firstRow + segment.seq` out of a
    /// segment's output ([heads, segment length, dim]).
    public mutating func collect(from segment: HeadTensor, firstRow: Int) {
        let d = output.dim
        let lo = rows.partitioningIndex { $0 >= firstRow }
        let hi = rows.partitioningIndex { $0 >= firstRow + segment.seq }
        guard lo < hi else { return }
        for h in 0..<output.heads {
            for idx in lo..<hi {
                let src = segment.offset(head: h, row: rows[idx] - firstRow)
                let dst = output.offset(head: h, row: idx)
                for c in 0..<d { output.data[dst + c] = segment.data[src + c] }
            }
        }
    }
}

extension Array {
    /// The first index whose element satisfies `belongs`, for an array partitioned so
    /// that every element satisfying it comes after every element that does not.
    func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if belongs(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
