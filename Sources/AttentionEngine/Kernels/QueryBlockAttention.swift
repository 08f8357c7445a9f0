import Foundation

/// Online-softmax attention of one block of query rows against any sequence of key
/// ranges (FlashAttention's inner loop). Flash feeds it consecutive key tiles; sparse and
/// segment-local methods feed it only the ranges (or gathered keys) they cover.
///
/// Scores are kept in log₂ units: Q is stored pre-multiplied by log₂e/√d, so for each key
/// tile, with S = Q·Kᵀ·log₂e/√d on the entries the causal mask allows,
///
///     m' = max(m, rowmax S)          running maximum
///     P  = 2^(S − m')
///     ℓ' = ℓ·2^(m − m') + rowsum P   running sum
///     O' = O·2^(m − m') + P·V        rescaled accumulator
///
/// and at the end O / ℓ — the same softmax as with e^x, since 2^(s·log₂e) = e^s.
///
/// Layout: query rows sit in the lanes of SIMD16 vectors, 16 rows per "lane block", so the
/// running max, exp, sum and rescale of the online softmax are plain lane-wise operations
/// (no horizontal reductions), keys and values are read in place (no per-tile packing), and
/// only Q (in `begin`) and O (in `finish`) are transposed. Per key tile, each lane block
/// runs S → max → exp/sum → P·V while its scores stay in L1.
public final class QueryBlockAttention {
    public let dim: Int
    public let maxRows: Int
    public let maxKeys: Int
    /// Lane blocks of 16 query rows.
    let laneBlocks: Int
    /// `maxKeys` rounded up to the keys `LaneBlockKernels.scores` computes per call.
    let keysPad: Int
    /// `dim` rounded up to the output dims `LaneBlockKernels.accumulate` writes per call.
    let dimPad: Int
    let qt: UnsafeMutablePointer<Float>    // [laneBlocks][dim][16]: Qᵀ · log₂e/√d, padded lanes 0
    let ot: UnsafeMutablePointer<Float>    // [laneBlocks][dimPad][16]: unnormalised Oᵀ
    let pt: UnsafeMutablePointer<Float>    // [keysPad][16]: one lane block's scores, then P
    let m: UnsafeMutablePointer<Float>     // [laneBlocks·16]: running max (log₂ units)
    let l: UnsafeMutablePointer<Float>     // [laneBlocks·16]: running sum
    let tilePositions: UnsafeMutablePointer<Int>  // [maxKeys]: positions of a contiguous key range, or (attendDiagonals) each slot's key offset
    public private(set) var rows = 0
    public private(set) var firstQuery = 0

    /// Start value of the running max: finite, so 2^(m − m') never sees −∞ − (−∞).
    static let noMax = -Float.greatestFiniteMagnitude

    public init(dim: Int, maxRows: Int, maxKeys: Int) {
        self.dim = dim
        self.maxRows = maxRows
        self.maxKeys = maxKeys
        laneBlocks = (maxRows + 15) / 16
        keysPad = (maxKeys + LaneBlockKernels.width - 1) / LaneBlockKernels.width * LaneBlockKernels.width
        dimPad = (dim + LaneBlockKernels.width - 1) / LaneBlockKernels.width * LaneBlockKernels.width
        qt = .allocate(capacity: laneBlocks * dim * 16)
        ot = .allocate(capacity: laneBlocks * dimPad * 16)
        pt = .allocate(capacity: keysPad * 16)
        m = .allocate(capacity: laneBlocks * 16)
        l = .allocate(capacity: laneBlocks * 16)
        tilePositions = .allocate(capacity: maxKeys)
    }

    deinit {
        for p in [qt, ot, pt, m, l] { p.deallocate() }
        tilePositions.deallocate()
    }

    /// Bytes of scratch one instance holds (for `memory_bytes`).
    public var scratchBytes: Int {
        4 * (laneBlocks * 16 * (dim + dimPad + 2) + keysPad * 16) + 8 * maxKeys
    }

    /// Starts a block: `queries` points at `rows` consecutive query rows (stride `dim`)
    /// whose positions start at `firstPosition`.
    public func begin(queries: UnsafePointer<Float>, rows: Int, firstPosition: Int) {
        precondition(rows <= maxRows)
        self.rows = rows
        self.firstQuery = firstPosition
        let scale = Float(1.4426950408889634 / Double(dim).squareRoot())
        qt.initialize(repeating: 0, count: laneBlocks * dim * 16)
        ot.initialize(repeating: 0, count: laneBlocks * dimPad * 16)
        m.initialize(repeating: Self.noMax, count: laneBlocks * 16)
        l.initialize(repeating: 0, count: laneBlocks * 16)
        for i in 0..<rows {
            let dst = qt + (i / 16) * dim * 16 + i % 16
            let src = queries + i * dim
            for c in 0..<dim { dst[c * 16] = src[c] * scale }
        }
    }

    /// Attends to keys `firstKey ..< firstKey + count` (rows of `keys`/`values`, stride
    /// `dim`, pointing at key `firstKey`). With `causal`, key j is used by query i only if
    /// j ≤ i. Returns the number of (query, key) entries computed.
    @discardableResult
    public func attend(keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                       firstKey: Int, count: Int, causal: Bool) -> Int {
        precondition(count <= maxKeys)
        for j in 0..<count { tilePositions[j] = firstKey + j }
        return attend(keys: keys, values: values, positions: tilePositions, count: count, causal: causal)
    }

    /// `attend` for a contiguous range of any length: keys `firstKey ..< firstKey + count`,
    /// `maxKeys` at a time (the tile the scratch was sized for). Returns the entries computed.
    @discardableResult
    public func attendTiled(keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                            firstKey: Int, count: Int, causal: Bool) -> Int {
        var visited = 0, j = 0
        while j < count {
            let n = min(maxKeys, count - j)
            visited += attend(keys: keys + j * dim, values: values + j * dim, firstKey: firstKey + j, count: n, causal: causal)
            j += n
        }
        return visited
    }

    /// Attends to `count` gathered keys whose rows are packed contiguously in `keys`/`values`
    /// (stride `dim`) and whose positions, sorted ascending, are `positions`. Sorted positions
    /// keep each query's causally allowed keys a prefix. Used by sparse methods for columns
    /// that are not one contiguous range (e.g. MInference's vertical lines).
    @discardableResult
    public func attend(gatheredKeys keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                       positions: UnsafePointer<Int>, count: Int, causal: Bool) -> Int {
        precondition(count <= maxKeys)
        return attend(keys: keys, values: values, positions: positions, count: count, causal: causal)
    }

    /// Both public `attend`s: per lane block, only the keys some row of the block may see
    /// (a prefix, positions being sorted) are computed, and only keys past the block's first
    /// row need the mask.
    private func attend(keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                        positions: UnsafePointer<Int>, count: Int, causal: Bool) -> Int {
        var entries = 0
        for b in 0..<(rows + 15) / 16 {
            let lanes = min(16, rows - b * 16)
            let first = firstQuery + b * 16, last = first + lanes - 1
            var seen = count, unmasked = count
            if causal {
                seen = Self.prefix(positions, count, atMost: last)
                unmasked = Self.prefix(positions, seen, atMost: first)
            }
            if seen == 0 { continue }
            entries += unmasked * lanes
            for j in unmasked..<seen { entries += last - positions[j] + 1 }
            attendLaneBlock(b, keys: keys, values: values, positions: positions, count: seen, maskFrom: unmasked)
        }
        return entries
    }

    /// Number of leading sorted positions ≤ `limit` (binary search).
    private static func prefix(_ positions: UnsafePointer<Int>, _ count: Int, atMost limit: Int) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if positions[mid] <= limit { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// One online-softmax step of lane block `b` over keys 0 ..< `count`; keys from
    /// `maskFrom` on are hidden from lanes whose position is below theirs.
    private func attendLaneBlock(_ b: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                 positions: UnsafePointer<Int>, count: Int, maskFrom: Int) {
        let q = UnsafePointer(qt + b * dim * 16)
        // Positions as floats (exact below 2²⁴): Int32 lane compares are not vectorised.
        let lanePosition = SIMD16<Float>(repeating: Float(firstQuery + b * 16))
            + SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let mOld = load(m + b * 16)
        var mNew = mOld
        // S = Q·Kᵀ six keys at a time; a short last group repeats its last key (and
        // position), which leaves the max unchanged and is never read past `count`.
        var j = 0
        while j < count {
            let r = LaneBlockKernels.group(from: j, count: count)
            var s = LaneBlockKernels.scores(qt: q, dim: dim, (keys + r.0 * dim, keys + r.1 * dim, keys + r.2 * dim,
                                                          keys + r.3 * dim, keys + r.4 * dim, keys + r.5 * dim))
            if r.5 >= maskFrom {
                s.0.replace(with: -.infinity, where: lanePosition .< Float(positions[r.0]))
                s.1.replace(with: -.infinity, where: lanePosition .< Float(positions[r.1]))
                s.2.replace(with: -.infinity, where: lanePosition .< Float(positions[r.2]))
                s.3.replace(with: -.infinity, where: lanePosition .< Float(positions[r.3]))
                s.4.replace(with: -.infinity, where: lanePosition .< Float(positions[r.4]))
                s.5.replace(with: -.infinity, where: lanePosition .< Float(positions[r.5]))
            }
            keepScores(s, at: j, max: &mNew)
            j += LaneBlockKernels.width
        }
        let alpha = exponentiate(laneBlock: b, count: count, mOld: mOld, mNew: mNew)
        forEachColumnGroup(laneBlock: b) { o, cols in
            LaneBlockKernels.accumulate(ot: o, alpha: alpha, pt: pt, keys: count, v: values, ldv: dim, cols: cols)
        }
    }

    /// Stores six score vectors as rows j … j+5 of the score tile and folds them into the
    /// running max `mNew`.
    @inline(__always)
    func keepScores(_ s: Six<SIMD16<Float>>, at j: Int, max mNew: inout SIMD16<Float>) {
        mNew = lanewiseMax(mNew, lanewiseMax(lanewiseMax(s.0, s.1), lanewiseMax(lanewiseMax(s.2, s.3), lanewiseMax(s.4, s.5))))
        let out = pt + j * 16
        store(s.0, out); store(s.1, out + 16); store(s.2, out + 32)
        store(s.3, out + 48); store(s.4, out + 64); store(s.5, out + 80)
    }

    /// P = 2^(S − m') over the first `count` score rows (masked entries, −∞, become exactly
    /// 0); updates lane block b's ℓ and m; returns the rescale α = 2^(m − m').
    @inline(__always)
    func exponentiate(laneBlock b: Int, count: Int, mOld: SIMD16<Float>, mNew: SIMD16<Float>) -> SIMD16<Float> {
        var sum = SIMD16<Float>.zero
        for j in 0..<count {
            let p = fastExp2(load(pt + j * 16) - mNew)
            store(p, pt + j * 16)
            sum += p
        }
        let alpha = fastExp2(mOld - mNew)
        store(load(l + b * 16) * alpha + sum, l + b * 16)
        store(mNew, m + b * 16)
        return alpha
    }

    /// Calls `body` with lane block b's Oᵀ row c and the six output dims c … c+5 for each
    /// group of six (O = O·α + P·V is done six dims at a time); dims past `dim` read the last column.
    @inline(__always)
    func forEachColumnGroup(laneBlock b: Int, _ body: (UnsafeMutablePointer<Float>, Six<Int>) -> Void) {
        let o = ot + b * dimPad * 16
        var c = 0
        while c < dim {
            body(o + c * 16, LaneBlockKernels.group(from: c, count: dim))
            c += LaneBlockKernels.width
        }
    }

    /// Writes O / ℓ for the block's rows (stride `dim`). Rows that saw no key get zeros.
    public func finish(into out: UnsafeMutablePointer<Float>) {
        for i in 0..<rows {
            let inv = l[i] > 0 ? 1 / l[i] : 0
            let src = ot + (i / 16) * dimPad * 16 + i % 16
            let dst = out + i * dim
            for c in 0..<dim { dst[c] = src[c * 16] * inv }
        }
    }

    /// Natural log-sum-exp of row i's scores so far, ln Σ_j e^(s_j) = (m + log₂ ℓ)·ln 2
    /// (for methods that merge partial results); −∞ for a row that saw no key.
    public func logSumExp(row i: Int) -> Float {
        l[i] > 0 ? (m[i] + log2(l[i])) * 0.693147180559945309 : -.infinity
    }

    /// Joins two attention results over disjoint key sets for one query row: `o` (over the
    /// first set, log-sum-exp `lo`) becomes the softmax average over both, given `p` over the
    /// second (`lp`). Returns the joined log-sum-exp. A part whose log-sum-exp is −∞ saw no
    /// key and contributes nothing. Weights in Double: e^(l − max) of the two parts.
    public static func join(_ o: UnsafeMutablePointer<Float>, lse lo: Float, with p: UnsafePointer<Float>, lse lp: Float,
                            dim: Int) -> Float {
        guard lp > -.infinity else { return lo }
        guard lo > -.infinity else { o.update(from: p, count: dim); return lp }
        let top = Double(max(lo, lp))
        let a = exp(Double(lo) - top), b = exp(Double(lp) - top), inv = 1 / (a + b)
        let (wo, wp) = (Float(a * inv), Float(b * inv))
        for c in 0..<dim { o[c] = o[c] * wo + p[c] * wp }
        return Float(top + log(a + b))
    }
}
