/// Vertical-Slash with exact diagonals (`slash_mode=exact`): query row i covers the keys
/// i − o for every selected offset o ≤ i, plus every selected column c ≤ i, and nothing else
/// — the pattern as the paper draws it, without MInference's kernel rounding each diagonal
/// up to a range of `block` keys per query block. A key that is both on a selected diagonal
/// and a selected column belongs to the column (computed once).
final class DiagonalIndex: Sendable {
    let seq: Int
    /// Selected columns, ascending.
    let columns: [Int32]
    /// Selected offsets (query − key), ascending.
    let offsets: [Int32]
    /// Per position p = key + 16 (keys −16 … N + 31): 0 if a diagonal may use the key,
    /// −∞ if it lies outside 0 ..< N or is a selected column.
    let diagonalBias: [Float]
    /// columnsBefore[p]: selected columns with key + 16 < p.
    private let columnsBefore: [Int32]

    init(columns: [Int32], offsets: [Int32], seq: Int) {
        self.seq = seq
        self.columns = columns
        self.offsets = offsets
        let shift = SlidingTransposedKeys.shift
        let positions = seq + 3 * shift
        var bias = [Float](repeating: -.infinity, count: positions)
        for p in shift..<(seq + shift) { bias[p] = 0 }
        for c in columns { bias[Int(c) + shift] = -.infinity }
        diagonalBias = bias
        var before = [Int32](repeating: 0, count: positions + 1)
        var next = 0
        for p in 0..<positions {
            before[p + 1] = before[p]
            if next < columns.count && Int(columns[next]) + shift == p { before[p + 1] += 1; next += 1 }
        }
        columnsBefore = before
    }

    /// Selected columns among keys `keys` (clamped to −16 … N + 31).
    func columnCount(in keys: Range<Int>) -> Int {
        let shift = SlidingTransposedKeys.shift
        let lo = max(0, keys.lowerBound + shift), hi = min(columnsBefore.count - 1, keys.upperBound + shift)
        return lo < hi ? Int(columnsBefore[hi] - columnsBefore[lo]) : 0
    }

    /// Selected columns among keys `keys`, ascending (binary search, then the few inside).
    func columns(in keys: Range<Int>) -> ArraySlice<Int32> {
        var lo = 0, hi = columns.count
        while lo < hi { let mid = (lo + hi) / 2; if Int(columns[mid]) < keys.lowerBound { lo = mid + 1 } else { hi = mid } }
        var end = lo
        while end < columns.count && Int(columns[end]) < keys.upperBound { end += 1 }
        return columns[lo..<end]
    }

    /// Offsets a query block's lane block starting at row `r` meets (o ≤ r + 15): a prefix.
    func offsetCount(upTo lastRow: Int) -> Int {
        var lo = 0, hi = offsets.count
        while lo < hi { let mid = (lo + hi) / 2; if Int(offsets[mid]) <= lastRow { lo = mid + 1 } else { hi = mid } }
        return lo
    }

    /// Row `row`'s covered keys: sorted, disjoint, touching keys merged.
    func keyRanges(row: Int) -> [Range<Int>] {
        // Offsets descending give the diagonal keys ascending.
        let diagonal = offsets.reversed().compactMap { o in Int(o) <= row ? row - Int(o)..<row - Int(o) + 1 : nil }
        return BlockCover.coalesced(SparseBlockKernel.merged(diagonal, Array(columns.prefix { Int($0) <= row })))
    }

    var bytes: Int { 4 * (columns.count + offsets.count + diagonalBias.count + columnsBefore.count) }
}
