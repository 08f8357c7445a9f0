import Foundation

/// Exact attention accumulated in Double, on chosen query rows of every head:
///
///     s_j = (q_i · k_j) / √d  for the keys the mask allows,   p = softmax(s),   o_i = Σ_j p_j v_j
///
/// Inputs are float32, so their conversion to Double is exact; all sums are in Double.
/// Besides the output rows it keeps each row's log-sum-exp (so the softmax mass of any
/// key subset can be measured later: recall) and an attention map pooled to the coverage
/// grid (mean probability mass per cell over the checked rows in that grid row; NaN for
/// grid rows with no checked row).
public struct Reference: Sendable {
    public let rows: [Int]
    public let heads: Int
    public let dim: Int
    /// [heads, rows.count, dim]
    public let output: [Double]
    /// [heads, rows.count]: log Σ_j exp(s_j).
    public let logSumExp: [Double]
    public let attentionMap: CoverageMap

    /// Bytes `compute` holds for `rows` rows per head: outputs and log-sum-exps in Double,
    /// the attention map, and each worker's scores over every key.
    static func bytes(heads: Int, rows: Int, seq: Int, dim: Int, threads: Int) -> Int {
        let cells = GridPartition(seq: seq).cells
        return 8 * heads * rows * (dim + 1) + 4 * heads * cells * cells + 8 * threads * (seq + cells + dim)
    }

    public static func compute(_ inputs: AttentionInputs, rows: [Int], threads: Int,
                               cancellation: CancellationFlag = CancellationFlag()) throws -> Reference {
        let h = inputs.heads, d = inputs.headDim, n = inputs.seq, group = inputs.groupSize
        let partition = GridPartition(seq: n)
        let g = partition.cells
        // Work items are (head, grid row) so each item owns one row of the attention map.
        var rowsByCell = [[Int]](repeating: [], count: g)
        for (idx, r) in rows.enumerated() { rowsByCell[partition.cell(of: r)].append(idx) }
        let rowIndicesByCell = rowsByCell
        var output = [Double](repeating: 0, count: h * rows.count * d)
        var lse = [Double](repeating: 0, count: h * rows.count)
        var map = [Float](repeating: .nan, count: h * g * g)
        let scale = 1 / Double(d).squareRoot()
        output.withUnsafeMutableBufferPointer { ob in
        lse.withUnsafeMutableBufferPointer { lb in
        map.withUnsafeMutableBufferPointer { mb in
        inputs.withPointers { p in
            let (o, l, m) = (SharedPointer(ob.baseAddress!), SharedPointer(lb.baseAddress!), SharedPointer(mb.baseAddress!))
            let (qp, kp, vp) = (p.q, p.k, p.v)
            ParallelFor.run(count: h * g, threads: threads) { item in
                let head = item / g, cell = item % g
                let mine = rowIndicesByCell[cell]
                if mine.isEmpty || cancellation.isCancelled { return }
                let kvh = head / group
                let kBase = kp.base + kvh * n * d, vBase = vp.base + kvh * n * d
                var scores = [Double](repeating: 0, count: n)
                var cellMass = [Double](repeating: 0, count: g)
                var acc = [Double](repeating: 0, count: d)
                for idx in mine {
                    // Checked per row: one grid cell of rows at N = 1M is minutes of work.
                    if cancellation.isCancelled { return }
                    let i = rows[idx]
                    let q = qp.base + (head * n + i) * d
                    let keys = FlopCount.allowedKeys(row: i, seq: n, causal: inputs.causal)
                    var mx = -Double.infinity
                    for j in 0..<keys {
                        let s = dot(q, kBase + j * d, d) * scale
                        scores[j] = s
                        mx = max(mx, s)
                    }
                    var sum = 0.0
                    for j in 0..<keys { let e = Foundation.exp(scores[j] - mx); scores[j] = e; sum += e }
                    for c in 0..<d { acc[c] = 0 }
                    for j in 0..<keys {
                        let p = scores[j]
                        let v = vBase + j * d
                        for c in 0..<d { acc[c] += p * Double(v[c]) }
                        cellMass[partition.cell(of: j)] += p / sum
                    }
                    let out = o.base + (head * rows.count + idx) * d
                    for c in 0..<d { out[c] = acc[c] / sum }
                    l.base[head * rows.count + idx] = mx + Foundation.log(sum)
                }
                for c in 0..<g { m.base[(head * g + cell) * g + c] = Float(cellMass[c] / Double(mine.count)) }
            }
        }}}}
        try cancellation.checkCancelled()
        return Reference(rows: rows, heads: h, dim: d, output: output, logSumExp: lse,
                         attentionMap: CoverageMap(heads: h, seq: n, grid: g, values: map))
    }

    /// q·k in Double.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Double {
        var s = 0.0
        for c in 0..<d { s += Double(a[c]) * Double(b[c]) }
        return s
    }

    /// Mean over checked rows of every head of the exact softmax mass inside `selection`.
    public func recall(of selection: any KeySelection, inputs: AttentionInputs, threads: Int) -> Double {
        let h = heads, d = dim, n = inputs.seq, group = inputs.groupSize
        let scale = 1 / Double(d).squareRoot()
        var mass = [Double](repeating: 0, count: h * rows.count)
        mass.withUnsafeMutableBufferPointer { mb in
        inputs.withPointers { p in
            let out = SharedPointer(mb.baseAddress!)
            let (qp, kp) = (p.q, p.k)
            ParallelFor.run(count: h * rows.count, threads: threads) { item in
                let head = item / rows.count, idx = item % rows.count, i = rows[idx]
                let q = qp.base + (head * n + i) * d
                let kBase = kp.base + (head / group) * n * d
                var total = 0.0
                for r in selection.keyRanges(head: head, row: i) {
                    for j in r { total += Foundation.exp(Reference.dot(q, kBase + j * d, d) * scale - logSumExp[item]) }
                }
                out.base[item] = total
            }
        }}
        return mass.reduce(0, +) / Double(mass.count)
    }
}
