import Synchronization

/// Where a method spent its work, pooled to a fixed grid so nothing N×N is ever stored:
/// per head, each cell holds the share of the cell's mask-allowed (query, key) entries that
/// the method computed, in [0, 1]. Cells the causal mask forbids entirely hold NaN.
///
/// Grid rows and columns split the sequence as evenly as integers allow: cell c covers
/// positions ⌈c·N/G⌉ ..< ⌈(c+1)·N/G⌉, with G = min(256, N).
public struct CoverageMap: Sendable, Equatable {
    public let heads: Int
    public let seq: Int
    public let grid: Int
    /// [heads, grid (query cells), grid (key cells)].
    public var values: [Float]

    public static let defaultGrid = 256

    public init(heads: Int, seq: Int, grid: Int, values: [Float]) {
        self.heads = heads; self.seq = seq; self.grid = grid; self.values = values
    }

    public func value(head: Int, row: Int, col: Int) -> Float { values[(head * grid + row) * grid + col] }

    public static func == (a: CoverageMap, b: CoverageMap) -> Bool {
        a.heads == b.heads && a.seq == b.seq && a.grid == b.grid
            && zip(a.values, b.values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    /// As a tensor, for `--save-maps` (heads × grid × grid).
    public var tensor: HeadTensor { HeadTensor(heads: heads, seq: grid, dim: grid, data: values) }

    /// Per head, the share of all mask-allowed (query, key) entries the method computed: each
    /// cell's share weighted by its allowed entries (a causal diagonal cell holds about half
    /// a full cell's), which is the kernel's counted entries over the dense count.
    public func computedShares(causal: Bool) -> [Double] {
        let allowed = GridPartition(seq: seq, cells: grid).allowedEntries(causal: causal)
        let total = Double(allowed.reduce(0, +)), cells = grid * grid
        return (0..<heads).map { head in
            var computed = 0.0
            for i in allowed.indices where allowed[i] > 0 { computed += Double(values[head * cells + i]) * Double(allowed[i]) }
            return total > 0 ? computed / total : 0
        }
    }
}

/// Integer cell boundaries shared by coverage and attention maps.
public struct GridPartition: Sendable {
    public let seq: Int
    public let cells: Int

    public init(seq: Int, cells: Int = CoverageMap.defaultGrid) {
        self.seq = seq
        self.cells = max(1, min(cells, seq))
    }

    @inline(__always) public func cell(of position: Int) -> Int { position * cells / seq }
    @inline(__always) public func start(_ c: Int) -> Int { (c * seq + cells - 1) / cells }
    @inline(__always) public func range(_ c: Int) -> Range<Int> { start(c)..<start(c + 1) }

    /// Mask-allowed entries of cell (rowCell, colCell).
    public func allowedEntries(rowCell: Int, colCell: Int, causal: Bool) -> Int {
        let rows = range(rowCell), cols = range(colCell)
        guard causal else { return rows.count * cols.count }
        var total = 0
        for r in rows where r >= cols.lowerBound { total += min(r + 1, cols.upperBound) - cols.lowerBound }
        return total
    }

    /// `allowedEntries` of every cell, row-major [cells][cells].
    public func allowedEntries(causal: Bool) -> [Int] {
        var allowed = [Int](repeating: 0, count: cells * cells)
        for r in 0..<cells { for c in 0..<cells { allowed[r * cells + c] = allowedEntries(rowCell: r, colCell: c, causal: causal) } }
        return allowed
    }
}

/// Collects computed-entry counts from worker threads while a kernel runs. Each worker
/// counts into a `CoverageTally` for the rows it owns and merges it once, under a lock.
public final class CoverageRecorder: Sendable {
    public let partition: GridPartition
    public let heads: Int
    private let counts: Mutex<[Int]>

    public init(heads: Int, seq: Int, grid: Int = CoverageMap.defaultGrid) {
        self.heads = heads
        self.partition = GridPartition(seq: seq, cells: grid)
        self.counts = Mutex([Int](repeating: 0, count: heads * partition.cells * partition.cells))
    }

    public func tally(head: Int) -> CoverageTally { CoverageTally(head: head, partition: partition) }

    public func merge(_ t: CoverageTally) {
        guard !t.counts.isEmpty else { return }
        let g = partition.cells
        counts.withLock { c in
            for (i, n) in t.counts.enumerated() where n != 0 {
                let rowCell = t.firstRowCell + i / g
                c[(t.head * g + rowCell) * g + i % g] += n
            }
        }
    }

    /// Counts divided by the mask-allowed entries of each cell.
    public func finish(causal: Bool) -> CoverageMap {
        let g = partition.cells, allowed = partition.allowedEntries(causal: causal)
        let values: [Float] = counts.withLock { c in
            c.indices.map { i in
                let a = allowed[i % (g * g)]
                return a == 0 ? .nan : Float(Double(c[i]) / Double(a))
            }
        }
        return CoverageMap(heads: heads, seq: partition.seq, grid: g, values: values)
    }
}

/// One worker's counts for a band of query rows of one head.
public struct CoverageTally: Sendable {
    public let head: Int
    let partition: GridPartition
    var firstRowCell = 0
    var counts: [Int] = []

    init(head: Int, partition: GridPartition) {
        self.head = head
        self.partition = partition
    }

    /// Records that query `row` computed keys `cols`.
    public mutating func add(row: Int, cols: Range<Int>) {
        addRect(rows: row..<row + 1, cols: cols)
    }

    /// Records that every query in `rows` computed every key in `cols`.
    public mutating func addRect(rows: Range<Int>, cols: Range<Int>) {
        guard !rows.isEmpty, !cols.isEmpty else { return }
        let p = partition, g = p.cells
        let r0 = p.cell(of: rows.lowerBound), r1 = p.cell(of: rows.upperBound - 1)
        ensureRows(r0, r1)
        for rc in r0...r1 {
            let rr = p.range(rc).clamped(to: rows).count
            if rr == 0 { continue }
            for cc in p.cell(of: cols.lowerBound)...p.cell(of: cols.upperBound - 1) {
                counts[(rc - firstRowCell) * g + cc] += rr * p.range(cc).clamped(to: cols).count
            }
        }
    }

    /// Records the diagonal entries (i, i − offset) for i in `rows`, except keys in
    /// `skippingKeys` (ascending).
    public mutating func addDiagonal(rows: Range<Int>, offset: Int, skippingKeys skipped: ArraySlice<Int32> = []) {
        var i = rows.lowerBound
        for key in skipped {
            addDiagonalRun(rows: i..<Int(key) + offset, offset: offset)
            i = Int(key) + offset + 1
        }
        addDiagonalRun(rows: i..<rows.upperBound, offset: offset)
    }

    /// One unbroken diagonal run, split where it crosses a row or key cell boundary.
    private mutating func addDiagonalRun(rows: Range<Int>, offset: Int) {
        let p = partition, g = p.cells
        var i = rows.lowerBound
        while i < rows.upperBound {
            let rc = p.cell(of: i), kc = p.cell(of: i - offset)
            let stop = min(rows.upperBound, p.start(rc + 1), p.start(kc + 1) + offset)
            ensureRows(rc, rc)
            counts[(rc - firstRowCell) * g + kc] += stop - i
            i = stop
        }
    }

    private mutating func ensureRows(_ r0: Int, _ r1: Int) {
        let g = partition.cells
        if counts.isEmpty {
            firstRowCell = r0
            counts = [Int](repeating: 0, count: (r1 - r0 + 1) * g)
            return
        }
        let last = firstRowCell + counts.count / g - 1
        if r0 < firstRowCell {
            counts.insert(contentsOf: [Int](repeating: 0, count: (firstRowCell - r0) * g), at: 0)
            firstRowCell = r0
        }
        if r1 > last { counts.append(contentsOf: [Int](repeating: 0, count: (r1 - last) * g)) }
    }
}
