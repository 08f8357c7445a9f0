/// Rows of one head-major tensor as seen by a segment: `base` points at the segment's first
/// row of head 0 and heads are `headStride` floats apart. The same segment code runs on
/// whole tensors (in-memory runs: stride N·d) and on segment buffers (streamed runs: stride
/// N_seg·d).
struct HeadRows<Pointer: Sendable>: Sendable {
    let base: Pointer
    let headStride: Int
}

/// One segment's inputs and output for `InfiniRun.process`: rotated q/k for the local
/// attention, unrotated content for the memory, v, and where the output rows go.
struct SegmentView: Sendable {
    var q: HeadRows<SharedReadPointer<Float>>
    var k: HeadRows<SharedReadPointer<Float>>
    var v: HeadRows<SharedReadPointer<Float>>
    var qContent: HeadRows<SharedReadPointer<Float>>
    var kContent: HeadRows<SharedReadPointer<Float>>
    var out: HeadRows<SharedPointer<Float>>

    /// Calls `body` with a view of rows `rows` of `inputs` and of `output` (both laid out
    /// [heads, seq, dim]; `output` has the query heads).
    static func with<R>(_ inputs: AttentionInputs, output: inout HeadTensor, rows: Range<Int>,
                        _ body: (SegmentView) throws -> R) rethrows -> R {
        let offset = rows.lowerBound * inputs.headDim
        func at(_ p: SharedReadPointer<Float>, _ t: HeadTensor) -> HeadRows<SharedReadPointer<Float>> {
            HeadRows(base: SharedReadPointer(p.base + offset), headStride: t.headStride)
        }
        let stride = output.headStride
        return try inputs.withPointers { p in
            try inputs.qContent.data.withUnsafeBufferPointer { qcb in
                try inputs.kContent.data.withUnsafeBufferPointer { kcb in
                    try output.withSharedPointer { o in
                        try body(SegmentView(
                            q: at(p.q, inputs.q), k: at(p.k, inputs.k), v: at(p.v, inputs.v),
                            qContent: at(SharedReadPointer(qcb.baseAddress!), inputs.qContent),
                            kContent: at(SharedReadPointer(kcb.baseAddress!), inputs.kContent),
                            out: HeadRows(base: SharedPointer(o.base + offset), headStride: stride)))
                    }
                }
            }
        }
    }
}
