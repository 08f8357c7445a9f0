extension HeadTensor {
    /// Runs `body` with pointers that worker threads may share: read-only views of `q`,
    /// `k`, `v` and a writable view of `out` (workers write disjoint rows of it).
    static func withSharedPointers<R>(
        _ q: HeadTensor, _ k: HeadTensor, _ v: HeadTensor, writing out: inout HeadTensor,
        _ body: (SharedReadPointer<Float>, SharedReadPointer<Float>, SharedReadPointer<Float>, SharedPointer<Float>) throws -> R
    ) rethrows -> R {
        try out.data.withUnsafeMutableBufferPointer { ob in
            try q.data.withUnsafeBufferPointer { qb in
                try k.data.withUnsafeBufferPointer { kb in
                    try v.data.withUnsafeBufferPointer { vb in
                        try body(SharedReadPointer(qb.baseAddress!), SharedReadPointer(kb.baseAddress!),
                                 SharedReadPointer(vb.baseAddress!), SharedPointer(ob.baseAddress!))
                    }
                }
            }
        }
    }
}
