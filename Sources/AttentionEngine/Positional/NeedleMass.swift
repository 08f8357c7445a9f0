import Foundation

/// `needle_mass`: how much attention the last queries put on the planted key of the `needle`
/// workload, under a method's rotation. For each head and each of the last `rows` query rows,
/// the exact softmax over every key the mask allows, in Double:
///
///     mass = mean over heads and rows of exp(s_needle − lse(s)),   s_j = q·k_j/√d
///
/// Positional scalings that blur long distances (or leave them out of distribution) show up
/// here as mass lost from the needle.
public enum NeedleMass {
    public static let defaultRows = 16

    /// `q` and `k` are the rotated tensors the method attends with.
    public static func measure(q: HeadTensor, k: HeadTensor, causal: Bool, needle: Int,
                               rows: Int = defaultRows, threads: Int) -> Double {
        let n = q.seq, d = q.dim, h = q.heads, group = q.heads / k.heads
        guard (0..<n).contains(needle) else { return .nan }
        let first = max(0, n - rows)
        let count = n - first
        let scale = 1 / Double(d).squareRoot()
        let mass = ResultSlots<Double>(count: h * count)
        q.data.withUnsafeBufferPointer { qb in
        k.data.withUnsafeBufferPointer { kb in
            let (qp, kp) = (SharedReadPointer(qb.baseAddress!), SharedReadPointer(kb.baseAddress!))
            ParallelFor.run(count: h * count, threads: threads) { item in
                let head = item / count, i = first + item % count
                let qRow = qp.base + (head * n + i) * d
                let kBase = kp.base + (head / group) * n * d
                let keys = FlopCount.allowedKeys(row: i, seq: n, causal: causal)
                guard needle < keys else { mass.set(item, 0); return }
                var mx = -Double.infinity
                for j in 0..<keys { mx = max(mx, Reference.dot(qRow, kBase + j * d, d) * scale) }
                var total = 0.0
                for j in 0..<keys { total += exp(Reference.dot(qRow, kBase + j * d, d) * scale - mx) }
                mass.set(item, exp(Reference.dot(qRow, kBase + needle * d, d) * scale - mx) / total)
            }
        }}
        let values = mass.values
        return values.reduce(0, +) / Double(values.count)
    }
}
