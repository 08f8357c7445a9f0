/// Vertical-Slash with exact diagonals (`slash_mode=exact`): query row i covers the keys
/// i − o for every selected offset o ≤ i, plus every selected column c ≤ i, and nothing else
/// — the pattern as the paper draws it, without MInference's kernel rounding each diagonal
/// up to a range of `block` keys per query block. A key that is both on a selected diagonal
/// and a selected column belongs to the column (computed once).
final class DiagonalIndex: Sendable {
    /// Selected columns, ascending.
    let columns: [Int32]
    /// Selected offsets (query − key), ascending.
    let offsets: [Int32]
    /// Per position p = key + 16 (keys −16 … N + 31): 0 if a diagonal may use the key,
    /// −∞ if it lies outside 0 ..< N or is a selected column.
    let diagonalBias: [Float]

    init(columns: [Int32], offsets: [Int32], seq: Int) {
        self.columns = columns
        self.offsets = offsets
        let shift = SlidingTransposedKeys.shift
        var bias = [Float](repeating: -.infinity, count: seq + 3 * shift)
        for p in shift..<(seq + shift) { bias[p] = 0 }
        for c in columns { bias[Int(c) + shift] = -.infinity }
        diagonalBias = bias
    }

    /// Selected columns among keys `keys`, ascending.
    func columns(in keys: Range<Int>) -> ArraySlice<Int32> {
        let lo = columns.partitioningIndex { Int($0) >= keys.lowerBound }
        return columns[lo..<columns.partitioningIndex { Int($0) >= keys.upperBound }]
    }

    /// Offsets a query block's lane block starting at row `r` meets (o ≤ r + 15): a prefix.
    func offsetCount(upTo lastRow: Int) -> Int { offsets.partitioningIndex { Int($0) > lastRow } }

    /// Row `row`'s covered keys: sorted, disjoint, touching keys merged.
    func keyRanges(row: Int) -> [Range<Int>] {
        // Offsets descending give the diagonal keys ascending.
        let diagonal = offsets.reversed().compactMap { o in Int(o) <= row ? row - Int(o)..<row - Int(o) + 1 : nil }
        return BlockCover.coalesced(SparseBlockKernel.merged(diagonal, Array(columns(in: 0..<row + 1))))
    }

    var bytes: Int { 4 * (columns.count + offsets.count + diagonalBias.count) }
}
