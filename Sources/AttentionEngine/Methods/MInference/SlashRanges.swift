/// How MInference's Vertical-Slash kernel turns selected diagonals and columns into the keys
/// one query block computes (its `convert_vertical_slash_indexes`, written afresh here).
///
/// For the query block [end − B, end) a diagonal at offset o (key = query − o) passes
/// through keys [end − B − o, end − o): a range of B keys, moved to [0, B) when it would
/// start before key 0. Diagonals with o ≥ end never reach the block. Walking the offsets
/// from the largest (leftmost range) down, a range starting after the current one ends
/// closes it and opens a new one; a range overlapping or touching the current one grows
/// it by a whole block (so ranges stay multiples of B keys, and may reach up to B − 1 keys
/// past the diagonal that grew them — MInference's kernel covers those keys too).
///
/// Columns inside a range are computed by the range; the others are gathered one by one.
enum SlashRanges {
    /// Key ranges of the block ending at `blockEnd` (padded: start + B), cut at `keyEnd`
    /// (the block's last query + 1, or N); ascending and disjoint.
    static func ranges(offsetsDescending offsets: [Int32], blockEnd end: Int, block b: Int, keyEnd: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var lo = 0, hi = 0, open = false
        for o32 in offsets {
            let o = Int(o32)
            if o >= end { continue }
            let e = max(end - o, b)
            if !open {
                (lo, hi, open) = (e - b, e, true)
            } else if e > hi + b {
                out.append(lo..<hi)
                (lo, hi) = (e - b, e)
            } else if e > hi {
                hi += b
            }
        }
        if open { out.append(lo..<hi) }
        return out.compactMap { r in
            let top = min(r.upperBound, keyEnd)
            return r.lowerBound < top ? r.lowerBound..<top : nil
        }
    }

    /// The columns below `keyEnd` that no range contains, ascending.
    static func columnsOutside(_ ranges: [Range<Int>], columns: [Int32], keyEnd: Int) -> [Int32] {
        var out: [Int32] = []
        var r = 0
        for c32 in columns {
            let c = Int(c32)
            if c >= keyEnd { break }
            while r < ranges.count && ranges[r].upperBound <= c { r += 1 }
            if r < ranges.count && ranges[r].contains(c) { continue }
            out.append(c32)
        }
        return out
    }
}
