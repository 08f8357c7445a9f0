import Foundation

/// Online-softmax attention of one block of query rows against any sequence of key
/// ranges (FlashAttention's inner loop). Flash feeds it consecutive key tiles; sparse and
/// segment-local methods feed it only the ranges they cover.
///
/// For each key tile, with S = (Q·Kᵀ)·scale for the entries the causal mask allows:
///
///     m' = max(m, rowmax S)          running maximum
///     P  = exp(S − m')
///     ℓ' = ℓ·exp(m − m') + rowsum P  running sum
///     O' = O·exp(m − m') + P·V       rescaled accumulator
///
/// and at the end O / ℓ. Head dims are zero-padded to a multiple of 16 so the SIMD16
/// micro-kernels need no tails; padded rows and columns never reach the output.
public final class QueryBlockAttention {
    public let dim: Int
    public let maxRows: Int
    public let maxKeys: Int
    let dPad: Int
    let rowsPad: Int
    let keysPad: Int
    let q: UnsafeMutablePointer<Float>     // [rowsPad][dPad], pre-scaled by 1/√d
    let kt: UnsafeMutablePointer<Float>    // [dPad][keysPad], one key tile transposed
    let vt: UnsafeMutablePointer<Float>    // [keysPad][dPad], one value tile (padded copy when d % 16 ≠ 0)
    let s: UnsafeMutablePointer<Float>     // [rowsPad][keysPad], scores then probabilities
    let o: UnsafeMutablePointer<Float>     // [rowsPad][dPad]
    let m: UnsafeMutablePointer<Float>     // [rowsPad]
    let l: UnsafeMutablePointer<Float>     // [rowsPad]
    let valid: UnsafeMutablePointer<Int>   // [rowsPad]: allowed keys of the current tile, a prefix
    public private(set) var rows = 0
    public private(set) var firstQuery = 0

    public init(dim: Int, maxRows: Int, maxKeys: Int) {
        self.dim = dim
        self.maxRows = maxRows
        self.maxKeys = maxKeys
        dPad = (dim + 15) / 16 * 16
        rowsPad = (maxRows + 3) / 4 * 4
        keysPad = (maxKeys + 15) / 16 * 16
        q = .allocate(capacity: rowsPad * dPad)
        kt = .allocate(capacity: dPad * keysPad)
        vt = .allocate(capacity: keysPad * dPad)
        s = .allocate(capacity: rowsPad * keysPad)
        o = .allocate(capacity: rowsPad * dPad)
        m = .allocate(capacity: rowsPad)
        l = .allocate(capacity: rowsPad)
        valid = .allocate(capacity: rowsPad)
        kt.initialize(repeating: 0, count: dPad * keysPad)
        vt.initialize(repeating: 0, count: keysPad * dPad)
    }

    deinit {
        for p in [q, kt, vt, s, o, m, l] { p.deallocate() }
        valid.deallocate()
    }

    /// Bytes of scratch one instance holds (for `memory_bytes`).
    public var scratchBytes: Int {
        4 * (rowsPad * dPad * 2 + dPad * keysPad + keysPad * dPad + rowsPad * keysPad + 2 * rowsPad) + 8 * rowsPad
    }

    /// Starts a block: `queries` points at `rows` consecutive query rows (stride `dim`)
    /// whose positions start at `firstPosition`.
    public func begin(queries: UnsafePointer<Float>, rows: Int, firstPosition: Int) {
        precondition(rows <= maxRows)
        self.rows = rows
        self.firstQuery = firstPosition
        let scale = 1 / Float(dim).squareRoot()
        q.initialize(repeating: 0, count: rowsPad * dPad)
        o.initialize(repeating: 0, count: rowsPad * dPad)
        for i in 0..<rows {
            for c in 0..<dim { q[i * dPad + c] = queries[i * dim + c] * scale }
        }
        m.initialize(repeating: -.infinity, count: rowsPad)
        l.initialize(repeating: 0, count: rowsPad)
    }

    /// Attends to keys `firstKey ..< firstKey + count` (rows of `keys`/`values`, stride
    /// `dim`, pointing at key `firstKey`). With `causal`, key j is used by query i only if
    /// j ≤ i. Returns the number of (query, key) entries computed.
    @discardableResult
    public func attend(keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                       firstKey: Int, count: Int, causal: Bool) -> Int {
        precondition(count <= maxKeys)
        for i in 0..<rowsPad {
            valid[i] = i >= rows ? 0 : (causal ? min(max(firstQuery + i - firstKey + 1, 0), count) : count)
        }
        return attendValidPrefixes(keys: keys, values: values)
    }

    /// Attends to `count` gathered keys whose rows are packed contiguously in `keys`/`values`
    /// (stride `dim`) and whose positions, sorted ascending, are `positions`. Sorted positions
    /// keep each query's causally allowed keys a prefix. Used by sparse methods for columns
    /// that are not one contiguous range (e.g. MInference's vertical lines).
    @discardableResult
    public func attend(gatheredKeys keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                       positions: UnsafePointer<Int>, count: Int, causal: Bool) -> Int {
        precondition(count <= maxKeys)
        var allowed = 0
        for i in 0..<rowsPad {
            if i >= rows { valid[i] = 0; continue }
            if causal { while allowed < count && positions[allowed] <= firstQuery + i { allowed += 1 } }
            valid[i] = causal ? allowed : count
        }
        return attendValidPrefixes(keys: keys, values: values)
    }

    /// One key tile where row i may use the first `valid[i]` keys.
    private func attendValidPrefixes(keys: UnsafePointer<Float>, values: UnsafePointer<Float>) -> Int {
        var entries = 0, widest = 0
        for i in 0..<rowsPad {
            entries += valid[i]
            widest = max(widest, valid[i])
        }
        if widest == 0 { return 0 }
        let width = (widest + 15) / 16 * 16
        packKeys(keys, count: widest, width: width)
        let vTile = packValues(values, count: widest)
        MicroKernels.scores(q: q, kt: kt, s: s, rows: rowsPad, dPad: dPad, width: width, ldk: keysPad, lds: keysPad)
        softmaxStep(width: width)
        MicroKernels.accumulate(p: s, v: vTile, o: o, rows: rowsPad, dPad: dPad, keys: widest, ldp: keysPad, ldv: dim % 16 == 0 ? dim : dPad)
        return entries
    }

    /// Writes O / ℓ for the block's rows (stride `dim`). Rows that saw no key get zeros.
    public func finish(into out: UnsafeMutablePointer<Float>) {
        for i in 0..<rows {
            let inv = l[i] > 0 ? 1 / l[i] : 0
            for c in 0..<dim { out[i * dim + c] = o[i * dPad + c] * inv }
        }
    }

    /// Running log-sum-exp of row i's scores so far (for methods that merge partial results).
    public func logSumExp(row i: Int) -> Float { m[i] + log(l[i]) }

    private func packKeys(_ keys: UnsafePointer<Float>, count: Int, width: Int) {
        for j in 0..<count {
            let src = keys + j * dim
            for c in 0..<dim { kt[c * keysPad + j] = src[c] }
        }
        // Padding columns must be finite (they are masked, never used, but multiply into S).
        if count < width { for c in 0..<dim { for j in count..<width { kt[c * keysPad + j] = 0 } } }
    }

    private func packValues(_ values: UnsafePointer<Float>, count: Int) -> UnsafePointer<Float> {
        if dim % 16 == 0 { return values }
        for j in 0..<count {
            for c in 0..<dim { vt[j * dPad + c] = values[j * dim + c] }
        }
        return UnsafePointer(vt)
    }

    /// Turns row i's scores into probabilities against the updated running max, rescales
    /// its accumulator and zeroes masked columns up to `width`.
    private func softmaxStep(width: Int) {
        let lane = SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        for i in 0..<rows {
            let v = valid[i]
            let row = s + i * keysPad
            if v == 0 {
                for j in stride(from: 0, to: width, by: 16) { store(.zero, row + j) }
                continue
            }
            var mx = SIMD16<Float>(repeating: -.infinity)
            var j = 0
            while j < v {
                var x = load(row + j)
                x.replace(with: -.infinity, where: lane .>= Float(v - j))
                mx = pointwiseMax(mx, x)
                j += 16
            }
            let mNew = max(m[i], mx.max())
            let alpha = m[i] == -.infinity ? 0 : fastExp(m[i] - mNew)
            var sum = SIMD16<Float>.zero
            j = 0
            while j < width {
                var p = fastExp(load(row + j) - mNew)
                p.replace(with: 0, where: lane .>= Float(v - j))
                sum += p
                store(p, row + j)
                j += 16
            }
            l[i] = l[i] * alpha + sum.sum()
            m[i] = mNew
            if alpha != 1 {
                let a = SIMD16<Float>(repeating: alpha)
                let orow = o + i * dPad
                for c in stride(from: 0, to: dPad, by: 16) { store(load(orow + c) * a, orow + c) }
            }
        }
    }
}

@inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
@inline(__always) func load(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
@inline(__always) func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}
