import Foundation

/// The float64 reference of a streamed run: exact attention on the reference rows,
/// accumulated while the keys go by segment by segment, so nothing but the rows' own state
/// is kept (`Reference.compute` needs whole K and V). Per (head, reference row) it keeps
/// the online-softmax state in Double,
///
///     m  running max of s_j = q·k_j/√d,     ℓ = Σ_j exp(s_j − m),     a = Σ_j exp(s_j − m) v_j
///
/// rescaled by exp(m_old − m_new) whenever a segment raises m, plus the same kind of sums
/// for each grid cell of the attention map and for each variant's selection (the keys it
/// computes exactly), so `recall` and the map come out of the same pass. At the end
/// o = a/ℓ and log-sum-exp = m + log ℓ. Float inputs convert to Double exactly, and every
/// sum is in Double, as in `Reference`.
public final class StreamingReference {
    public let rows: [Int]
    public let shape: AttentionShape
    public let causal: Bool
    let selections: [(any KeySelection)?]
    let partition: GridPartition
    /// Padded Double row length (a multiple of 8 for SIMD8).
    let width: Int
    /// Per state s = head·rows.count + row index: the query (Double, [width]), a, m, ℓ, the
    /// map cells' sums [grid] and one sum per selection.
    private var queries: [Double]
    private var accumulators: [Double]
    private var maxima: [Double]
    private var sums: [Double]
    private var cells: [Double]
    private var selected: [Double]
    /// The current segment's K and V in Double, padded to `width`: [kv head][key][width],
    /// kept between segments so a long stream does not reallocate them.
    private var keysInDouble: [Double] = []
    private var valuesInDouble: [Double] = []

    /// Bytes held for `rows` rows per head with `selections` variants measured, in Double:
    /// per row the query, accumulator, max and sum, the map's cells and the selections'
    /// sums; and one segment of `segment` keys' K and V.
    static func bytes(shape: AttentionShape, rows: Int, selections: Int, segment: Int) -> Int {
        let w = paddedWidth(shape.headDim)
        return 8 * shape.heads * rows * (2 * w + 2 + GridPartition(seq: shape.seq).cells + selections) + 8 * 2 * shape.kvHeads * segment * w
    }

    /// Bytes its arrays hold now (what `bytes` predicts once a segment has been consumed).
    var heldBytes: Int {
        8 * [queries, accumulators, maxima, sums, cells, selected, keysInDouble, valuesInDouble].reduce(0) { $0 + $1.count }
    }

    private static func paddedWidth(_ headDim: Int) -> Int { (headDim + 7) / 8 * 8 }

    /// `setup.queries`: the reference rows of Q after the positional stage, [heads, rows.count, dim];
    /// `selections`: per variant, the keys it computes exactly (nil: no recall to measure).
    public init(setup: StreamSetup, selections: [(any KeySelection)?]) {
        rows = setup.rows
        shape = setup.shape
        causal = setup.causal
        self.selections = selections
        partition = GridPartition(seq: shape.seq)
        width = Self.paddedWidth(shape.headDim)
        let states = shape.heads * rows.count, d = shape.headDim
        queries = [Double](repeating: 0, count: states * width)
        for s in 0..<states { for c in 0..<d { queries[s * width + c] = Double(setup.queries.data[s * d + c]) } }
        accumulators = [Double](repeating: 0, count: states * width)
        maxima = [Double](repeating: -.infinity, count: states)
        sums = [Double](repeating: 0, count: states)
        cells = [Double](repeating: 0, count: states * partition.cells)
        selected = [Double](repeating: 0, count: states * selections.count)
    }

    /// Adds keys `firstRow ..< firstRow + segment.seq` (the segment's rotated K and its V).
    public func consume(_ segment: AttentionInputs, firstRow: Int, threads: Int, cancellation: CancellationFlag) throws {
        let keys = segment.seq, d = shape.headDim, w = width, g = shape.kvHeads
        if keysInDouble.count != g * keys * w {
            keysInDouble = [Double](repeating: 0, count: g * keys * w)
            valuesInDouble = keysInDouble
        }
        for t in 0..<g * keys {
            for c in 0..<d {
                keysInDouble[t * w + c] = Double(segment.k.data[t * d + c])
                valuesInDouble[t * w + c] = Double(segment.v.data[t * d + c])
            }
        }
        let end = firstRow + keys
        // Causal: rows before this segment see none of its keys.
        let first = causal ? rows.partitioningIndex { $0 >= firstRow } : 0
        let count = rows.count - first
        let grid = partition.cells, nsel = selections.count, group = shape.heads / g
        let scale = 1 / Double(d).squareRoot()
        let (rows, partition, selections, causal) = (rows, partition, selections, causal)
        queries.withUnsafeBufferPointer { qb in
        accumulators.withUnsafeMutableBufferPointer { ab in
        maxima.withUnsafeMutableBufferPointer { mb in
        sums.withUnsafeMutableBufferPointer { lb in
        cells.withUnsafeMutableBufferPointer { cb in
        selected.withUnsafeMutableBufferPointer { sb in
        keysInDouble.withUnsafeBufferPointer { kb in
        valuesInDouble.withUnsafeBufferPointer { vb in
            let (qp, kp, vp) = (SharedReadPointer(qb.baseAddress!), SharedReadPointer(kb.baseAddress!), SharedReadPointer(vb.baseAddress!))
            let (ap, mp, lp, cp, sp) = (SharedPointer(ab.baseAddress!), SharedPointer(mb.baseAddress!), SharedPointer(lb.baseAddress!),
                                        SharedPointer(cb.baseAddress!), SharedPointer(sb.baseAddress!))
            ParallelFor.run(count: shape.heads * count, threads: threads) { item in
                if cancellation.isCancelled { return }
                let head = item / count, idx = first + item % count, row = rows[idx]
                let state = head * rows.count + idx
                let used = causal ? min(end, row + 1) - firstRow : keys
                let kBase = kp.base + (head / group) * keys * w, vBase = vp.base + (head / group) * keys * w
                let q = qp.base + state * w
                var scores = [Double](repeating: 0, count: used)
                var segmentMax = -Double.infinity
                for j in 0..<used {
                    let s = StreamingReference.dot(q, kBase + j * w, w) * scale
                    scores[j] = s
                    segmentMax = max(segmentMax, s)
                }
                let mOld = mp.base[state], mNew = max(mOld, segmentMax)
                let acc = ap.base + state * w, cell = cp.base + state * grid, sel = sp.base + state * nsel
                if mOld != mNew && mOld != -.infinity {
                    let alpha = Foundation.exp(mOld - mNew)
                    lp.base[state] *= alpha
                    for c in 0..<w { acc[c] *= alpha }
                    for c in 0..<grid { cell[c] *= alpha }
                    for s in 0..<nsel { sel[s] *= alpha }
                }
                mp.base[state] = mNew
                var total = 0.0
                for j in 0..<used {
                    let p = Foundation.exp(scores[j] - mNew)
                    scores[j] = p
                    total += p
                    StreamingReference.addScaled(vBase + j * w, p, into: acc, w)
                }
                lp.base[state] += total
                // Map cells and selections: sums of p over key ranges of this segment.
                func mass(_ r: Range<Int>) -> Double {
                    let lo = max(r.lowerBound, firstRow) - firstRow, hi = min(r.upperBound, firstRow + used) - firstRow
                    var m = 0.0
                    if lo < hi { for j in lo..<hi { m += scores[j] } }
                    return m
                }
                if used > 0 {
                    for c in partition.cell(of: firstRow)...partition.cell(of: firstRow + used - 1) { cell[c] += mass(partition.range(c)) }
                }
                for (s, selection) in selections.enumerated() {
                    guard let selection else { continue }
                    for r in selection.keyRanges(head: head, row: row) { sel[s] += mass(r) }
                }
            }
        }}}}}}}}
        try cancellation.checkCancelled()
    }

    /// The reference (as `Reference.compute` would give it on these rows) and, per
    /// selection, the mean share of the exact softmax mass inside it (nil: no selection).
    public func finish() -> (reference: Reference, recalls: [Double?]) {
        let h = shape.heads, d = shape.headDim, n = rows.count, grid = partition.cells
        var output = [Double](repeating: 0, count: h * n * d)
        var lse = [Double](repeating: 0, count: h * n)
        var map = [Float](repeating: .nan, count: h * grid * grid)
        var rowsInCell = [Int](repeating: 0, count: grid)
        for r in rows { rowsInCell[partition.cell(of: r)] += 1 }
        var mapSums = [Double](repeating: 0, count: h * grid * grid)
        for head in 0..<h {
            for (idx, row) in rows.enumerated() {
                let state = head * n + idx, l = sums[state]
                for c in 0..<d { output[state * d + c] = accumulators[state * width + c] / l }
                lse[state] = maxima[state] + Foundation.log(l)
                let mapRow = (head * grid + partition.cell(of: row)) * grid
                for c in 0..<grid { mapSums[mapRow + c] += cells[state * grid + c] / l }
            }
            for r in 0..<grid where rowsInCell[r] > 0 {
                for c in 0..<grid { map[(head * grid + r) * grid + c] = Float(mapSums[(head * grid + r) * grid + c] / Double(rowsInCell[r])) }
            }
        }
        let recalls: [Double?] = selections.enumerated().map { s, selection in
            guard selection != nil else { return nil }
            var total = 0.0
            for state in 0..<h * n { total += selected[state * selections.count + s] / sums[state] }
            return total / Double(h * n)
        }
        let reference = Reference(rows: rows, heads: h, dim: d, output: output, logSumExp: lse,
                                  attentionMap: CoverageMap(heads: h, seq: shape.seq, grid: grid, values: map))
        return (reference, recalls)
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ w: Int) -> Double {
        var s = SIMD8<Double>.zero
        for c in stride(from: 0, to: w, by: 8) {
            s = s.addingProduct(UnsafeRawPointer(a + c).loadUnaligned(as: SIMD8<Double>.self),
                                UnsafeRawPointer(b + c).loadUnaligned(as: SIMD8<Double>.self))
        }
        return s.sum()
    }

    @inline(__always)
    static func addScaled(_ v: UnsafePointer<Double>, _ p: Double, into acc: UnsafeMutablePointer<Double>, _ w: Int) {
        let ps = SIMD8<Double>(repeating: p)
        for c in stride(from: 0, to: w, by: 8) {
            let a = UnsafeRawPointer(acc + c).loadUnaligned(as: SIMD8<Double>.self)
            let x = a.addingProduct(ps, UnsafeRawPointer(v + c).loadUnaligned(as: SIMD8<Double>.self))
            UnsafeMutableRawPointer(acc + c).storeBytes(of: x, as: SIMD8<Double>.self)
        }
    }
}
