import AttentionEngine
import Foundation

/// A map pooled from the engine's grid (up to 256×256 cells over the sequence) down to the
/// cells the heatmap panel has, with the scale its colours are read on. NaN marks cells the
/// causal mask forbids entirely.
public struct HeatGrid: Sendable {
    public enum Scale: Sendable, Equatable {
        /// 0…1, for coverage shares.
        case linear
        /// log10 from `low` to `high`, for attention mass (values ≤ low draw as the lowest colour).
        case log(low: Double, high: Double)
    }

    public let rows: Int
    public let cols: Int
    public var values: [Double]
    public var scale: Scale

    public func value(_ r: Int, _ c: Int) -> Double { values[r * cols + c] }

    /// A value on the colour scale, in [0, 1] (NaN stays NaN).
    public func normalised(_ v: Double) -> Double {
        guard v.isFinite else { return .nan }
        switch scale {
        case .linear: return min(1, max(0, v))
        case .log(let lo, let hi):
            guard v > lo, hi > lo else { return 0 }
            return min(1, (log10(v) - log10(lo)) / (log10(hi) - log10(lo)))
        }
    }

    /// The number of decades a log scale shows below its maximum.
    public static let logDecades = 4.0

    /// Coverage: the mean share computed over the grid cells under each display cell.
    public static func coverage(_ map: CoverageMap, head: Int, rows: Int, cols: Int) -> HeatGrid {
        var out = [Double](repeating: .nan, count: rows * cols)
        let g = map.grid
        for r in 0..<rows {
            let rr = block(r, rows, g)
            for c in 0..<cols {
                let cc = block(c, cols, g)
                var sum = 0.0, n = 0
                for gr in rr { for gc in cc {
                    let v = map.value(head: head, row: gr, col: gc)
                    if !v.isNaN { sum += Double(v); n += 1 }
                } }
                if n > 0 { out[r * cols + c] = sum / Double(n) }
            }
        }
        return HeatGrid(rows: rows, cols: cols, values: out, scale: .linear)
    }

    /// Attention mass per display cell: summed over the keys it spans, averaged over the
    /// query rows it spans that the reference checked. With `coverage`, only the mass in
    /// what the method did not compute (attention × (1 − coverage), per grid cell).
    public static func attention(_ map: CoverageMap, head: Int, rows: Int, cols: Int, causal: Bool,
                                 missedFrom coverage: CoverageMap? = nil) -> HeatGrid {
        let g = map.grid
        let partition = GridPartition(seq: map.seq, cells: g)
        var out = [Double](repeating: .nan, count: rows * cols)
        // When the display has more columns than the grid, a grid cell spans one or more
        // display columns (not always the same number), and each shows its share of it.
        var spans = [Int](repeating: 0, count: g)
        if cols > g { for c in 0..<cols { spans[block(c, cols, g).lowerBound] += 1 } }
        for r in 0..<rows {
            let rr = block(r, rows, g)
            for c in 0..<cols {
                let cc = block(c, cols, g)
                let lastQuery = partition.start(rr.upperBound) - 1
                if causal && partition.start(cc.lowerBound) > lastQuery { continue }
                var total = 0.0, checkedRows = 0
                for gr in rr {
                    if map.value(head: head, row: gr, col: 0).isNaN { continue }  // no reference row here
                    checkedRows += 1
                    for gc in cc {
                        var mass = Double(map.value(head: head, row: gr, col: gc))
                        if let cov = coverage {
                            let share = cov.value(head: head, row: gr, col: gc)
                            mass *= share.isNaN ? 0 : 1 - Double(share)
                        }
                        total += mass
                    }
                }
                let spread = cols > g ? 1 / Double(spans[cc.lowerBound]) : 1
                out[r * cols + c] = checkedRows > 0 ? total / Double(checkedRows) * spread : 0
            }
        }
        let high = out.filter(\.isFinite).max() ?? 0
        return HeatGrid(rows: rows, cols: cols, values: out,
                        scale: .log(low: high * pow(10, -logDecades), high: high))
    }

    /// The grid cells under display cell `i` of `n` (at least one; grids smaller than the
    /// display repeat cells).
    static func block(_ i: Int, _ n: Int, _ g: Int) -> Range<Int> {
        let lo = i * g / n
        return lo..<max(lo + 1, (i + 1) * g / n)
    }
}
