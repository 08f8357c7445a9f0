/// What every method variant runs on: the same Q, K, V for all of them.
///
/// `q`/`k` are after the run-level positional stage (what exact attention and the
/// reference use); `qContent`/`kContent` are before it, for methods that rotate with their
/// own scaling (LongRoPE) or read positions-free content (Infini's memory path). With
/// `--rope none` they share storage with `q`/`k` (arrays are copy-on-write).
public struct AttentionInputs: Sendable {
    public var q: HeadTensor
    public var k: HeadTensor
    public var v: HeadTensor
    public var qContent: HeadTensor
    public var kContent: HeadTensor
    public var causal: Bool
    public var rope: RopeSettings
    /// Facts about the workload a metric may need (e.g. where the needle was planted).
    public var annotations: WorkloadAnnotations

    public init(q: HeadTensor, k: HeadTensor, v: HeadTensor, causal: Bool,
                qContent: HeadTensor? = nil, kContent: HeadTensor? = nil,
                rope: RopeSettings = .none, annotations: WorkloadAnnotations = .init()) {
        self.q = q; self.k = k; self.v = v
        self.qContent = qContent ?? q
        self.kContent = kContent ?? k
        self.causal = causal
        self.rope = rope
        self.annotations = annotations
    }

    public var seq: Int { q.seq }
    public var heads: Int { q.heads }
    public var kvHeads: Int { k.heads }
    public var headDim: Int { q.dim }
    public var shape: AttentionShape { AttentionShape(seq: seq, heads: heads, kvHeads: kvHeads, headDim: headDim) }
    /// Query heads per key/value head (grouped-query attention); query head h reads kv head h / groupSize.
    public var groupSize: Int { q.heads / k.heads }

    /// Checks shapes agree and values are finite; `source` names where they came from.
    public func validate(source: String) throws {
        guard k.seq == q.seq, v.seq == q.seq else {
            throw EngineError.data("\(source): q, k, v disagree on sequence length (\(q.seq), \(k.seq), \(v.seq))")
        }
        guard k.dim == q.dim, v.dim == q.dim else {
            throw EngineError.data("\(source): q, k, v disagree on head dim (\(q.dim), \(k.dim), \(v.dim)); attnscope needs d_v = d_k")
        }
        guard k.heads == v.heads else {
            throw EngineError.data("\(source): k has \(k.heads) heads but v has \(v.heads)")
        }
        guard q.heads % k.heads == 0 else {
            throw EngineError.data("\(source): q has \(q.heads) heads, not a multiple of the \(k.heads) kv heads")
        }
        for (name, t) in [("q", q), ("k", k), ("v", v)] {
            if let bad = t.firstNonFinite() {
                // Values are float32 once read: a float64 beyond ±3.4e38 arrives as ±inf.
                throw EngineError.data("\(source): \(name) has a non-finite value at [head \(bad.head), row \(bad.row), col \(bad.column)] "
                                       + "(NaN or ±inf, or a float64 value beyond float32's range, ±3.4e38)")
            }
        }
    }
}

/// Facts a workload knows about the inputs it made.
public struct WorkloadAnnotations: Sendable, Equatable {
    /// Position of the planted key/value pair (the `needle` workload).
    public var needlePosition: Int?
    public init(needlePosition: Int? = nil) { self.needlePosition = needlePosition }
}

/// Read-only pointers to Q, K and V for worker threads (valid only inside the closure).
public struct InputPointers: Sendable {
    public let q: SharedReadPointer<Float>
    public let k: SharedReadPointer<Float>
    public let v: SharedReadPointer<Float>
}

extension AttentionInputs {
    /// Runs `body` with stable pointers to the rotated Q, K and V.
    public func withPointers<R>(_ body: (InputPointers) throws -> R) rethrows -> R {
        try q.data.withUnsafeBufferPointer { qb in
            try k.data.withUnsafeBufferPointer { kb in
                try v.data.withUnsafeBufferPointer { vb in
                    try body(InputPointers(q: SharedReadPointer(qb.baseAddress!), k: SharedReadPointer(kb.baseAddress!),
                                           v: SharedReadPointer(vb.baseAddress!)))
                }
            }
        }
    }
}

extension HeadTensor {
    /// Runs `body` with a pointer workers may write disjoint parts of.
    public mutating func withSharedPointer<R>(_ body: (SharedPointer<Float>) throws -> R) rethrows -> R {
        try data.withUnsafeMutableBufferPointer { try body(SharedPointer($0.baseAddress!)) }
    }
}
