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
        func rowsOf(_ t: HeadTensor, _ p: UnsafeBufferPointer<Float>) -> HeadRows<SharedReadPointer<Float>> {
            HeadRows(base: SharedReadPointer(p.baseAddress! + offset), headStride: t.headStride)
        }
        return try inputs.q.data.withUnsafeBufferPointer { qb in
            try inputs.k.data.withUnsafeBufferPointer { kb in
                try inputs.v.data.withUnsafeBufferPointer { vb in
                    try inputs.qContent.data.withUnsafeBufferPointer { qcb in
                        try inputs.kContent.data.withUnsafeBufferPointer { kcb in
                            let stride = output.headStride
                            return try output.data.withUnsafeMutableBufferPointer { ob in
                                try body(SegmentView(
                                    q: rowsOf(inputs.q, qb), k: rowsOf(inputs.k, kb), v: rowsOf(inputs.v, vb),
                                    qContent: rowsOf(inputs.qContent, qcb), kContent: rowsOf(inputs.kContent, kcb),
                                    out: HeadRows(base: SharedPointer(ob.baseAddress! + offset), headStride: stride)))
                            }
                        }
                    }
                }
            }
        }
    }
}
