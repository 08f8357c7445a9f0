import Foundation

/// MInference's online index estimation for Vertical-Slash (arXiv 2407.02490 §3.2, and its
/// public `vertical_and_slash_kernel`): the last `lq = min(last_q, N)` queries against every
/// key, causal inside the last lq × lq corner, softmax per row, then
///
///     A[r][j]   = softmax_j(q_{N−lq+r} · k_j / √d)
///     vertical[j] = Σ_r A[r][j]                       columns 0 … 29 forced (+∞)
///     slash[o]    = Σ_r A[r][N − lq + r − o]          offset o = query − key ∈ [0, N)
///                                                     offsets 0 … 99 forced (+∞)
///
/// Top-v columns and top-s diagonals are kept, with v ← min(N, max(v, 30)) and
/// s ← min(N, max(s, 50)). Forced entries tie at +∞; the tie goes to the lower column and
/// the nearer diagonal, so the main diagonal is always kept.
///
/// The scores are stored key-major ([key][64 lanes], 64·N floats per 64 queries: 32 MiB at
/// 128K) and swept three times in parallel chunks: scores and row maxima, row sums of
/// exp, then probabilities into the column and diagonal sums.
struct VerticalSlashEstimate: Sendable {
    /// Columns, best first; any prefix is that many top columns.
    let columnRanking: [Int32]
    /// Diagonal offsets, best first.
    let offsetRanking: [Int32]
    /// 2·d per (query, key) score computed (Q·Kᵀ only; softmax and sums not counted).
    let flops: Int
    /// Peak working memory.
    let bytes: Int

    static let forcedColumns = 30
    static let forcedDiagonals = 100

    /// MInference's clamps: v ∈ [30, N], s ∈ [50, N].
    static func clamped(vertical: Int, slash: Int, seq: Int) -> (v: Int, s: Int) {
        (min(seq, max(vertical, 30)), min(seq, max(slash, 50)))
    }

    /// The index keeping the top `vertical` columns and `slash` diagonals (clamped), with
    /// diagonals as MInference's kernel covers them (`.block`) or exactly.
    func index(vertical: Int, slash: Int, seq: Int, slashMode: SlashMode = .block) -> HeadIndex {
        let (v, s) = VerticalSlashEstimate.clamped(vertical: vertical, slash: slash, seq: seq)
        let columns = columnRanking.prefix(v).sorted()
        switch slashMode {
        case .block: return .verticalSlash(columns: columns, offsets: offsetRanking.prefix(s).sorted(by: >))
        case .exact: return .diagonals(DiagonalIndex(columns: columns, offsets: offsetRanking.prefix(s).sorted(), seq: seq))
        }
    }

    /// Estimates head `head`, ranking enough columns and diagonals for any (v, s) up to
    /// (`vertical`, `slash`).
    static func estimate(_ inputs: AttentionInputs, head: Int, lastQ: Int, vertical: Int, slash: Int,
                         threads: Int) -> VerticalSlashEstimate {
        let n = inputs.seq, d = inputs.headDim
        let lq = min(lastQ, n), first = n - lq
        let lanes = QueryPanel.lanes
        let panels = (lq + lanes - 1) / lanes
        let chunk = 2048
        let chunks = (n + chunk - 1) / chunk
        let (maxV, maxS) = clamped(vertical: vertical, slash: slash, seq: n)
        // Diagonal sums of one chunk of keys span at most chunk + lq − 1 offsets.
        let localDiag = chunk + lq
        let scoreBuffer = FloatBuffer(count: panels * n * lanes)
        let maxBuffer = FloatBuffer(count: chunks * panels * lanes), sumBuffer = FloatBuffer(count: chunks * panels * lanes)
        let columnBuffer = FloatBuffer(count: n), diagonalBuffer = FloatBuffer(count: chunks * localDiag)
        let lseBuffer = FloatBuffer(count: panels * lanes)
        let laneIndex = (0..<4).map { g in SIMD16<Float>((0..<16).map { Float(g * 16 + $0) }) }
        let (s, mx, sm, lse) = (scoreBuffer.shared, maxBuffer.shared, sumBuffer.shared, lseBuffer.shared)
        let (col, diag) = (columnBuffer.shared, diagonalBuffer.shared)

        inputs.withPointers { pointers in
            let panelsQ = (0..<panels).map { p in
                QueryPanel(queries: pointers.q.base + (head * n + first + p * lanes) * d,
                           rows: min(lanes, lq - p * lanes), dim: d, scale: 1 / Float(d).squareRoot())
            }
            let keys = SharedReadPointer(pointers.k.base + (head / inputs.groupSize) * n * d)
            /// Lane r of panel p is query first + 64p + r; it may use key j iff r < rows and j ≤ that query.
            @Sendable func laneRange(panel p: Int, key j: Int) -> (lo: Float, hi: Float) {
                (Float(max(0, j - first - p * lanes)), Float(min(lanes, lq - p * lanes)))
            }
            // 1. Scores, masked, and each chunk's row maxima.
            ParallelFor.run(count: chunks, threads: threads) { c in
                let j0 = c * chunk, j1 = min(n, j0 + chunk)
                for p in 0..<panels {
                    let base = s.base + (p * n + j0) * lanes
                    panelsQ[p].scores(keys: keys.base + j0 * d, count: j1 - j0, into: base)
                    var m = [SIMD16<Float>](repeating: SIMD16(repeating: -.infinity), count: 4)
                    for j in j0..<j1 {
                        let (lo, hi) = laneRange(panel: p, key: j)
                        let row = base + (j - j0) * lanes
                        for g in 0..<4 {
                            var x = load(row + 16 * g)
                            x.replace(with: -.infinity, where: (laneIndex[g] .< lo) .| (laneIndex[g] .>= hi))
                            store(x, row + 16 * g)
                            m[g] = pointwiseMax(m[g], x)
                        }
                    }
                    for g in 0..<4 { store(m[g], mx.base + (c * panels + p) * lanes + 16 * g) }
                }
            }
            // 2. Row maxima over all chunks (unused lanes: 0, so exp(−∞ − 0) = 0, never NaN),
            //    then each chunk's Σ exp(s − max), then log-sum-exp per row.
            var globalMax = [Float](repeating: -.infinity, count: panels * lanes)
            for c in 0..<chunks { for i in 0..<panels * lanes { globalMax[i] = max(globalMax[i], mx.base[c * panels * lanes + i]) } }
            for i in globalMax.indices where globalMax[i] == -.infinity { globalMax[i] = 0 }
            let maxima = globalMax
            ParallelFor.run(count: chunks, threads: threads) { c in
                let j0 = c * chunk, j1 = min(n, j0 + chunk)
                for p in 0..<panels {
                    for g in 0..<4 {
                        let m = SIMD16<Float>(maxima[(p * lanes + 16 * g)..<(p * lanes + 16 * g + 16)])
                        var acc = SIMD16<Float>.zero
                        for j in j0..<j1 { acc += fastExp(load(s.base + (p * n + j) * lanes + 16 * g) - m) }
                        store(acc, sm.base + (c * panels + p) * lanes + 16 * g)
                    }
                }
            }
            for i in 0..<panels * lanes {
                var total = 0.0
                for c in 0..<chunks { total += Double(sm.base[c * panels * lanes + i]) }
                lse.base[i] = total > 0 ? maxima[i] + Float(log(total)) : 0
            }
            // 3. Probabilities into column sums (per key) and diagonal sums (chunk-local).
            ParallelFor.run(count: chunks, threads: threads) { c in
                let j0 = c * chunk, j1 = min(n, j0 + chunk)
                let oLow = max(0, first - (j1 - 1))
                let local = diag.base + c * localDiag
                for p in 0..<panels {
                    let rows = min(lanes, lq - p * lanes)
                    let e = (0..<4).map { g in load(lse.base + p * lanes + 16 * g) }
                    for j in j0..<j1 {
                        let row = s.base + (p * n + j) * lanes
                        var total = SIMD16<Float>.zero
                        for g in 0..<4 {
                            let prob = fastExp(load(row + 16 * g) - e[g])
                            total += prob
                            store(prob, row + 16 * g)
                        }
                        col.base[j] += total.sum()
                        let q0 = first + p * lanes
                        for r in min(max(0, j - q0), rows)..<rows { local[q0 + r - j - oLow] += row[r] }
                    }
                }
            }
        }
        // Offsets covered by chunk c start at max(0, first − (j1 − 1)).
        var diagonal = [Float](repeating: 0, count: n)
        for c in 0..<chunks {
            let j1 = min(n, (c + 1) * chunk)
            let oLow = max(0, first - (j1 - 1))
            for t in 0..<min(localDiag, n - oLow) { diagonal[oLow + t] += diag.base[c * localDiag + t] }
        }
        let columns = TopRanking.indices(of: UnsafeBufferPointer(start: col.base, count: n), count: maxV, forced: forcedColumns)
        let offsets = diagonal.withUnsafeBufferPointer { TopRanking.indices(of: $0, count: maxS, forced: forcedDiagonals) }
        let entries = lq * first + lq * (lq + 1) / 2
        let bytes = [scoreBuffer, maxBuffer, sumBuffer, columnBuffer, diagonalBuffer, lseBuffer].reduce(4 * n) { $0 + $1.bytes }
        return VerticalSlashEstimate(columnRanking: columns, offsetRanking: offsets,
                                     flops: entries * 2 * d, bytes: bytes)
    }
}
