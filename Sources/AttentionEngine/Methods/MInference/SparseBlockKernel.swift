import Foundation

/// MInference's sparse attention for one query block: online softmax (`QueryBlockAttention`)
/// over exactly the keys the block's cover lists, causal mask respected, nothing else read.
///
/// - Ranges (slash ranges, selected blocks, the dense baseline) stream through in tiles of
///   `tileK` contiguous keys, the same tiles `flash` uses, so the kernel runs as fast per
///   visited entry as the dense one.
/// - Vertical columns, and ranges shorter than a tile, are gathered `tileK` keys at a time into
///   a contiguous buffer with their positions ascending, which keeps each query's causally
///   allowed keys a prefix (full tiles run faster than many short calls).
/// - A-shape is exact per row (see `attendStreaming`).
///
/// Returns the (query, key) entries visited; the optional tally records them for the
/// coverage map, so the map, the FLOP count and the selection all describe the same keys.
struct SparseBlockKernel: Sendable {
    let tensors: InputPointers
    let seq: Int
    let dim: Int
    let groupSize: Int
    let block: Int
    let tileK: Int
    /// K and V laid out for exact diagonals; set once a head's index needs them.
    var diagonalKeys: SlidingTransposedKeys?

    /// Per-item working memory: the online-softmax states plus gather buffers.
    final class Scratch {
        let main: QueryBlockAttention
        /// A-shape's second state, for the window's lower edge read backwards (made on first use).
        lazy var reversed = QueryBlockAttention(dim: main.dim, maxRows: block, maxKeys: block)
        /// The exact-diagonal path's state, `diagonalRows` tall (made on first use).
        lazy var tall = QueryBlockAttention(dim: main.dim, maxRows: SparseBlockKernel.diagonalRows,
                                            maxKeys: max(main.maxKeys, SparseBlockKernel.diagonalGroup))
        let gatheredK: UnsafeMutablePointer<Float>
        let gatheredV: UnsafeMutablePointer<Float>
        let positions: UnsafeMutablePointer<Int>
        let reversedQueries: UnsafeMutablePointer<Float>
        let edgeOut: UnsafeMutablePointer<Float>
        let capacity: Int
        let block: Int
        let blockFloats: Int

        init(dim: Int, block: Int, tileK: Int) {
            main = QueryBlockAttention(dim: dim, maxRows: block, maxKeys: tileK)
            capacity = max(tileK, block)
            self.block = block
            blockFloats = block * dim
            gatheredK = .allocate(capacity: capacity * dim)
            gatheredV = .allocate(capacity: capacity * dim)
            positions = .allocate(capacity: capacity)
            reversedQueries = .allocate(capacity: blockFloats)
            edgeOut = .allocate(capacity: blockFloats)
        }

        deinit {
            for p in [gatheredK, gatheredV, reversedQueries, edgeOut] { p.deallocate() }
            positions.deallocate()
        }

        /// Bytes held, counting the A-shape state (made here if it was not yet) and, with
        /// `diagonals`, the exact path's.
        func bytes(diagonals: Bool) -> Int {
            main.scratchBytes + reversed.scratchBytes + (diagonals ? tall.scratchBytes : 0)
                + 4 * (2 * capacity * main.dim + 2 * blockFloats) + 8 * capacity
        }
    }

    func makeScratch() -> Scratch { Scratch(dim: dim, block: block, tileK: tileK) }

    /// Rows [m·B, min(N, (m+1)·B)) of query head `head` into `out` (stride `dim`).
    func run(head: Int, queryBlock m: Int, cover: BlockCover, scratch: Scratch,
             out: UnsafeMutablePointer<Float>, tally: inout CoverageTally?) -> Int {
        run(head: head, rows: m * block..<min(seq, m * block + block), cover: cover, scratch: scratch, out: out, tally: &tally)
    }

    /// Rows `rowRange` of query head `head` into `out` (stride `dim`): one query block, or for
    /// exact diagonals (whose cover is the same for every block) up to `diagonalRows` rows.
    func run(head: Int, rows rowRange: Range<Int>, cover: BlockCover, scratch: Scratch,
             out: UnsafeMutablePointer<Float>, tally: inout CoverageTally?) -> Int {
        let r0 = rowRange.lowerBound, rows = rowRange.count, end = rowRange.upperBound
        if case .diagonals = cover {} else { precondition(rows <= block, "one query block at a time") }
        let queries = tensors.q.base + (head * seq + r0) * dim
        let kvBase = (head / groupSize) * seq * dim
        switch cover {
        case .keys(let ranges, let columns):
            let attention = scratch.main
            attention.begin(queries: queries, rows: rows, firstPosition: r0)
            var visited = 0, short: [Range<Int>] = []
            for r in ranges {
                let keys = r.lowerBound..<min(r.upperBound, end)
                // A range shorter than a tile costs a whole call; it is packed with the columns instead.
                if keys.count < tileK { short.append(keys) } else { visited += attendRange(attention, kvBase: kvBase, keys: keys, positionShift: 0) }
                tally?.addCausal(rows: r0..<end, cols: keys)
            }
            visited += attendGathered(SparseBlockKernel.merged(short, columns), attention, kvBase: kvBase, scratch: scratch)
            if tally != nil { for c in columns { tally?.addRect(rows: max(r0, Int(c))..<end, cols: Int(c)..<Int(c) + 1) } }
            attention.finish(into: out)
            return visited
        case .diagonals(let index):
            return attendDiagonals(index, head: head, r0: r0, rows: rows, queries: queries, kvBase: kvBase,
                                   scratch: scratch, out: out, tally: &tally)
        case .streaming(let sink, let local):
            // Bands of at most `local` rows keep the window's lower edge behind every row of
            // the band, so the edge needs no causal cut (see `attendStreaming`).
            var visited = 0
            for band in stride(from: 0, to: rows, by: local) {
                let count = min(local, rows - band)
                visited += attendStreaming(sink: sink, local: local, queries: queries + band * dim, r0: r0 + band, rows: count,
                                           kvBase: kvBase, scratch: scratch, out: out + band * dim, tally: &tally)
            }
            return visited
        }
    }

    /// Exact Vertical-Slash for rows r0 ..< r0 + rows: the columns gathered as usual, then,
    /// per lane block, every diagonal some lane meets, `tileK` diagonals per softmax step.
    /// Entries are counted per diagonal (rows it reaches, minus keys that are columns) and
    /// match what the kernel computes: the diagonal bias masks exactly those keys.
    private func attendDiagonals(_ index: DiagonalIndex, head: Int, r0: Int, rows: Int, queries: UnsafePointer<Float>,
                                 kvBase: Int, scratch: Scratch, out: UnsafeMutablePointer<Float>,
                                 tally: inout CoverageTally?) -> Int {
        guard let layout = diagonalKeys else { preconditionFailure("exact diagonals need SlidingTransposedKeys") }
        let end = r0 + rows, kvHead = head / groupSize
        let attention = scratch.tall
        attention.begin(queries: queries, rows: rows, firstPosition: r0)
        let columns = index.columns(in: 0..<end)
        var visited = attendGathered(columns.map { Int($0)..<Int($0) + 1 }, attention, kvBase: kvBase, scratch: scratch)
        if tally != nil { for c in columns { tally?.addRect(rows: max(r0, Int(c))..<end, cols: Int(c)..<Int(c) + 1) } }
        index.offsets.withUnsafeBufferPointer { offsets in
            index.diagonalBias.withUnsafeBufferPointer { bias in
                // Offsets outer, lane blocks inner: neighbouring offsets read overlapping key
                // chunks, and so do the lane blocks on one offset group, which keeps a group's
                // chunks in L2 while every lane block uses them.
                let lanes = (rows + 15) / 16
                let reached = (0..<lanes).map { index.offsetCount(upTo: min(end, r0 + 16 * $0 + 16) - 1) }
                var t = 0
                while t < reached[lanes - 1] {
                    let stop = min(t + SparseBlockKernel.diagonalGroup, reached[lanes - 1])
                    for lane in 0..<lanes where reached[lane] > t {
                        attention.attendDiagonals(laneBlock: lane, offsets: offsets.baseAddress! + t, count: min(stop, reached[lane]) - t,
                                                  keys: layout, kvHead: kvHead, bias: bias.baseAddress!)
                    }
                    t = stop
                }
            }
        }
        attention.finish(into: out)
        for o32 in index.offsets {
            let o = Int(o32)
            if o >= end { break }
            let first = max(r0, o), keys = (first - o)..<(end - o)
            let skipped = index.columns(in: keys)
            visited += keys.count - skipped.count
            tally?.addDiagonal(rows: first..<end, offset: o, skippingKeys: skipped)
        }
        return visited
    }

    /// Diagonals per online-softmax step of the exact path: their key chunks (≈ 32 KiB each
    /// for K and V at d = 128, shared by neighbours) stay in L2 across the lane blocks.
    static let diagonalGroup = 128
    /// Query rows per work item of the exact path: more lane blocks share each group's chunks.
    static let diagonalRows = 512

    /// Keys `keys` in tiles. With `positionShift` s, key j counts as position j + s for the
    /// causal test, so row i takes exactly the keys j ≤ i − s.
    private func attendRange(_ attention: QueryBlockAttention, kvBase: Int, keys: Range<Int>, positionShift: Int) -> Int {
        let first = kvBase + keys.lowerBound * dim
        return attention.attendTiled(keys: tensors.k.base + first, values: tensors.v.base + first,
                                     firstKey: keys.lowerBound + positionShift, count: keys.count, causal: true)
    }

    /// Keys of short ranges and single columns, copied `tileK` at a time into the gather
    /// buffers in ascending position order (which keeps each row's causal keys a prefix).
    private func attendGathered(_ pieces: [Range<Int>], _ attention: QueryBlockAttention, kvBase: Int, scratch: Scratch) -> Int {
        var visited = 0, filled = 0
        for piece in pieces {
            var j = piece.lowerBound
            while j < piece.upperBound {
                let count = min(piece.upperBound - j, tileK - filled)
                (scratch.gatheredK + filled * dim).update(from: tensors.k.base + kvBase + j * dim, count: count * dim)
                (scratch.gatheredV + filled * dim).update(from: tensors.v.base + kvBase + j * dim, count: count * dim)
                for t in 0..<count { scratch.positions[filled + t] = j + t }
                filled += count
                j += count
                if filled == tileK || (j == piece.upperBound && piece == pieces.last) {
                    visited += attention.attend(gatheredKeys: scratch.gatheredK, values: scratch.gatheredV,
                                                   positions: scratch.positions, count: filled, causal: true)
                    filled = 0
                }
            }
        }
        return visited
    }

    /// Ranges and columns (each ascending) as one list of ranges ascending by lower bound;
    /// disjoint if they were (`BlockCover.coalesced` joins what overlaps or touches).
    static func merged(_ ranges: [Range<Int>], _ columns: [Int32]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(ranges.count + columns.count)
        var r = 0
        for c32 in columns {
            let c = Int(c32)
            while r < ranges.count && ranges[r].lowerBound < c { out.append(ranges[r]); r += 1 }
            out.append(c..<c + 1)
        }
        out.append(contentsOf: ranges[r...])
        return out
    }

    /// A-shape, exact per row: row i sees the sink keys j < min(n_init, w(i)) and its window
    /// w(i) ≤ j ≤ i, with w(i) = max(0, i − n_local + 1). Over the block's rows r0 … r1:
    ///
    ///     sink        j < min(n_init, w(r1)), row i takes j ≤ i − n_local: a causal prefix
    ///                 once positions are shifted by n_local
    ///     window      w(r1) ≤ j ≤ r1, row i takes j ≤ i: the usual causal prefix
    ///     lower edge  w(r0) ≤ j < w(r1), row i takes j ≥ w(i): a suffix per row
    ///                 (all edge keys precede r0 because the band has at most n_local rows)
    ///
    /// Online softmax only takes prefixes, so the lower edge runs on a second state with the
    /// rows and keys both reversed (a suffix read backwards is a prefix), and the two partial
    /// softmaxes are merged by their log-sum-exp:
    ///
    ///     o = (e^{ℓ₁}·o₁ + e^{ℓ₂}·o₂) / (e^{ℓ₁} + e^{ℓ₂})
    private func attendStreaming(sink: Int, local: Int, queries: UnsafePointer<Float>, r0: Int, rows: Int, kvBase: Int,
                                 scratch: Scratch, out: UnsafeMutablePointer<Float>, tally: inout CoverageTally?) -> Int {
        let r1 = r0 + rows - 1
        let wFirst = StreamingWindow.start(row: r0, local: local), wLast = StreamingWindow.start(row: r1, local: local)
        let attention = scratch.main
        attention.begin(queries: queries, rows: rows, firstPosition: r0)
        var visited = attendRange(attention, kvBase: kvBase, keys: 0..<min(sink, wLast), positionShift: local)
        visited += attendRange(attention, kvBase: kvBase, keys: wLast..<r1 + 1, positionShift: 0)
        attention.finish(into: out)
        if tally != nil {
            let cover = BlockCover.streaming(sink: sink, local: local)
            for i in r0...r1 { for r in cover.keyRanges(row: i) { tally?.add(row: i, cols: r) } }
        }
        let edge = wLast - wFirst
        guard edge > 0 else { return visited }
        // Reversed rows: lane t' holds query r1 − t'. Reversed keys: slot u' holds key wLast − 1 − u'.
        // Row t' takes u' < t' (keys ≥ w(r1 − t')): a causal prefix with the keys at positions 1, 2, ….
        let reversed = scratch.reversed, revQ = scratch.reversedQueries, edgeOut = scratch.edgeOut
        for t in 0..<rows { (revQ + t * dim).update(from: queries + (rows - 1 - t) * dim, count: dim) }
        for u in 0..<edge {
            let j = wLast - 1 - u
            (scratch.gatheredK + u * dim).update(from: tensors.k.base + kvBase + j * dim, count: dim)
            (scratch.gatheredV + u * dim).update(from: tensors.v.base + kvBase + j * dim, count: dim)
        }
        reversed.begin(queries: revQ, rows: rows, firstPosition: 0)
        visited += reversed.attend(keys: scratch.gatheredK, values: scratch.gatheredV, firstKey: 1, count: edge, causal: true)
        reversed.finish(into: edgeOut)
        for t in 0..<rows {
            _ = QueryBlockAttention.join(out + t * dim, lse: attention.logSumExp(row: t),
                                         with: edgeOut + (rows - 1 - t) * dim, lse: reversed.logSumExp(row: rows - 1 - t), dim: dim)
        }
        return visited
    }
}

extension CoverageTally {
    /// Records keys `cols` for query rows `rows` under the causal mask (key j for rows i ≥ j).
    mutating func addCausal(rows: Range<Int>, cols: Range<Int>) {
        // Keys up to the block's first row are allowed for every row; later ones row by row.
        let split = min(max(cols.lowerBound, rows.lowerBound + 1), cols.upperBound)
        if cols.lowerBound < split { addRect(rows: rows, cols: cols.lowerBound..<split) }
        for i in rows where i >= split && split < cols.upperBound {
            add(row: i, cols: split..<min(cols.upperBound, i + 1))
        }
    }
}
