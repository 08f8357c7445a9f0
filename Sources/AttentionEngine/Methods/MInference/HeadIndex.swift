/// What the sparse kernel computes for one head once its index is estimated. Query rows are
/// taken in blocks of `block` (MInference's BLOCK_M = BLOCK_N = 64); every row of a block
/// sees the same key ranges (and columns), cut by the causal mask, except A-shape, which
/// is exact per row.
enum HeadIndex: Sendable {
    /// Keys [0, sink) and the causal window of the last `local` keys.
    case aShape(sink: Int, local: Int)
    /// Vertical columns ascending and diagonal offsets (query − key ≥ 0) descending, the
    /// order MInference's index conversion walks them in.
    case verticalSlash(columns: [Int32], offsets: [Int32])
    /// Vertical-Slash with exact diagonals (`slash_mode=exact`).
    case diagonals(DiagonalIndex)
    /// For each query block, its selected key blocks ascending.
    case blockSparse(blocks: [[Int32]])
    /// Every key the causal mask allows: exact attention, the pattern search's baseline.
    case dense

    /// The keys query block `m` covers.
    func cover(queryBlock m: Int, block: Int, seq: Int) -> BlockCover {
        let start = m * block, end = min(start + block, seq)
        switch self {
        case .aShape(let sink, let local):
            return .streaming(sink: sink, local: local)
        case .dense:
            return .keys(ranges: [0..<end], columns: [])
        case .blockSparse(let blocks):
            let ranges = blocks[m].compactMap { b -> Range<Int>? in
                let lo = Int(b) * block, hi = min(lo + block, end)
                return lo < hi ? lo..<hi : nil
            }
            return .keys(ranges: BlockCover.coalesced(ranges), columns: [])
        case .verticalSlash(let columns, let offsets):
            let ranges = SlashRanges.ranges(offsetsDescending: offsets, blockEnd: start + block, block: block, keyEnd: end)
            return .keys(ranges: ranges, columns: SlashRanges.columnsOutside(ranges, columns: columns, keyEnd: end))
        case .diagonals(let index):
            return .diagonals(index)
        }
    }
}

/// The keys one query block covers: contiguous ranges plus single columns (disjoint from the
/// ranges, ascending), A-shape's per-row sink and window, or exact diagonals and columns.
/// The causal mask applies on top.
enum BlockCover: Sendable {
    case keys(ranges: [Range<Int>], columns: [Int32])
    case streaming(sink: Int, local: Int)
    case diagonals(DiagonalIndex)

    /// Row `row`'s covered keys after the causal mask: sorted, disjoint, touching ranges merged.
    func keyRanges(row: Int) -> [Range<Int>] {
        switch self {
        case .streaming(let sink, let local):
            let w = StreamingWindow.start(row: row, local: local)
            let sinkEnd = min(sink, w)
            return sinkEnd > 0 && sinkEnd < w ? [0..<sinkEnd, w..<row + 1] : [(sinkEnd > 0 ? 0 : w)..<row + 1]
        case .keys(let ranges, let columns):
            let pieces = ranges.compactMap { r -> Range<Int>? in
                let hi = min(r.upperBound, row + 1)
                return r.lowerBound < hi ? r.lowerBound..<hi : nil
            }
            return BlockCover.coalesced(SparseBlockKernel.merged(pieces, Array(columns.prefix { Int($0) <= row })))
        case .diagonals(let index):
            return index.keyRanges(row: row)
        }
    }

    /// Ranges sorted by lower bound, overlapping and touching ones joined: sorted, disjoint,
    /// not touching (what `KeySelection` promises).
    static func coalesced(_ sorted: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(sorted.count)
        for r in sorted {
            if let last = out.last, last.upperBound >= r.lowerBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }
}

/// A-shape's window: row i sees keys max(0, i − local + 1) … i (MInference's streaming
/// kernel: 0 ≤ i − j < n_local), plus sink keys j < n_init that lie before the window.
enum StreamingWindow {
    @inline(__always)
    static func start(row: Int, local: Int) -> Int { max(0, row - local + 1) }
}
