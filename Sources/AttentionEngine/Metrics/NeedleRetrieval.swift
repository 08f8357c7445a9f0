/// `needle_retrieval`, on workloads that plant a needle (`WorkloadAnnotations.needlePosition`):
/// how much of the planted value reaches the output of the last query row (always a
/// reference row, and one of the rows that look for the needle), as the coefficient of the
/// needle's value row v_p in it,
///
///     retrieval = mean over heads h of ⟨o_h(N − 1), v_p⟩ / ‖v_p‖²     (v_p of h's kv head)
///
/// Exact attention gives about its attention mass on the needle (the other value rows are
/// independent of v_p and average out); a method that never sees the needle gives about 0.
/// Measured on the method's output, so it shows retrieval through whatever path the method
/// has (e.g. Infini-attention's memory when the needle lies in an earlier segment).
public struct NeedleRetrieval: Sendable {
    /// The needle's value row per kv head, [kvHeads, 1, dim].
    public let values: HeadTensor

    public init(values: HeadTensor) { self.values = values }

    /// `sampledOutput`: [heads, rows.count, dim] for the reference rows `rows`, whose last is N − 1.
    public func measure(sampledOutput: HeadTensor, rows: [Int]) -> Double {
        let d = values.dim, heads = sampledOutput.heads, group = heads / values.heads
        var total = 0.0
        for h in 0..<heads {
            let o = sampledOutput.row(head: h, rows.count - 1), v = values.row(head: h / group, 0)
            var dot = 0.0, norm = 0.0
            for c in 0..<d { dot += Double(o[c]) * Double(v[c]); norm += Double(v[c]) * Double(v[c]) }
            total += norm > 0 ? dot / norm : 0
        }
        return total / Double(heads)
    }
}
