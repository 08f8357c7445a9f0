import Foundation

/// `needle_mass`: how much attention the last queries put on the planted key of the `needle`
/// workload, under a method's rotation. For each head and each of the last `rows` query rows,
/// the exact softmax over every key the mask allows, in Double:
///
///     mass = mean over heads and rows of exp(s_needle − lse(s)),   s_j = q·k_j/√d
///
/// lse is accumulated in one pass over the keys (running maximum m, sum rescaled by
/// exp(m_old − m_new) when m grows), so each q·k_j is computed once.
///
/// Positional scalings that blur long distances (or leave them out of distribution) show up
/// here as mass lost from the needle.
public enum NeedleMass {
    public static let defaultRows = 16

    /// `q` and `k` are the rotated tensors the method attends with.
    public static func measure(q: HeadTensor, k: HeadTensor, causal: Bool, needle: Int,
                               rows: Int = defaultRows, threads: Int) -> Double {
        measure(lastQueries: lastRows(of: q, rows), k: k, causal: causal, needle: needle, threads: threads)
    }

    /// The same from the content Q/K and the method's rotation: K is rotated whole, Q only
    /// in the `rows` rows measured.
    public static func measure(content inputs: AttentionInputs, rotation: RotaryEmbedding, needle: Int,
                               rows: Int = defaultRows, threads: Int) -> Double {
        var q = lastRows(of: inputs.qContent, rows)
        let (heads, count, d, first) = (q.heads, q.seq, q.dim, inputs.seq - q.seq)
        q.withSharedPointer { p in
            for h in 0..<heads { rotation.rotate(p.base + h * count * d, rows: count, dim: d, firstPosition: first) }
        }
        return measure(lastQueries: q, k: rotation.rotated(inputs.kContent, threads: threads), causal: inputs.causal,
                       needle: needle, threads: threads)
    }

    /// The last `rows` rows of every head of `t` (all of them when it is shorter).
    static func lastRows(of t: HeadTensor, _ rows: Int) -> HeadTensor {
        t.gathering(rows: Array(max(0, t.seq - max(rows, 0))..<t.seq))
    }

    /// `q` holds the query rows at positions k.seq − q.seq ..< k.seq.
    static func measure(lastQueries q: HeadTensor, k: HeadTensor, causal: Bool, needle: Int, threads: Int) -> Double {
        let n = k.seq, d = q.dim, h = q.heads, group = q.heads / k.heads, count = q.seq
        guard (0..<n).contains(needle), count > 0 else { return .nan }
        let first = n - count
        let scale = 1 / Double(d).squareRoot()
        let mass = ResultSlots<Double>(count: h * count)
        q.data.withUnsafeBufferPointer { qb in
        k.data.withUnsafeBufferPointer { kb in
            let (qp, kp) = (SharedReadPointer(qb.baseAddress!), SharedReadPointer(kb.baseAddress!))
            ParallelFor.run(count: h * count, threads: threads) { item in
                let head = item / count, r = item % count, i = first + r
                let qRow = qp.base + (head * count + r) * d
                let kBase = kp.base + (head / group) * n * d
                let keys = FlopCount.allowedKeys(row: i, seq: n, causal: causal)
                guard needle < keys else { mass.set(item, 0); return }
                var mx = -Double.infinity, total = 0.0
                for j in 0..<keys {
                    let s = Reference.dot(qRow, kBase + j * d, d) * scale
                    if s > mx { total = total * exp(mx - s) + 1; mx = s } else { total += exp(s - mx) }
                }
                mass.set(item, exp(Reference.dot(qRow, kBase + needle * d, d) * scale - mx) / total)
            }
        }}
        let values = mass.values
        return values.reduce(0, +) / Double(values.count)
    }
}
