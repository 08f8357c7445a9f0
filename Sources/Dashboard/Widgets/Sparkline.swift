/// Values as a row of eighth-blocks (▁▂▃▄▅▆▇█), scaled between their own min and max; the
/// most recent `width` values, oldest on the left.
struct Sparkline {
    static let bars: [Unicode.Scalar] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    var values: [Double]

    func symbols(width: Int) -> [Unicode.Scalar] {
        let shown = values.suffix(width).filter(\.isFinite)
        guard let lo = shown.min(), let hi = shown.max() else { return [] }
        return shown.map { v in
            hi > lo ? Sparkline.bars[min(7, Int((v - lo) / (hi - lo) * 7.999))] : Sparkline.bars[3]
        }
    }

    func draw(into buf: inout CellBuffer, x: Int, y: Int, width: Int, style: Style) {
        for (i, s) in symbols(width: width).enumerated() { buf.set(x + i, y, s, style) }
    }
}

/// A horizontal bar of `width` cells filled to `fraction` (eighth-block resolution).
struct ProgressBar {
    static let partial: [Unicode.Scalar] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    var fraction: Double

    func draw(into buf: inout CellBuffer, x: Int, y: Int, width: Int, theme: Theme) {
        let eighths = Int((min(1, max(0, fraction)) * Double(width * 8)).rounded(.down))
        for i in 0..<width {
            let filled = eighths - i * 8
            if filled >= 8 { buf.set(x + i, y, "█", theme.barDone) }
            else if filled > 0 { buf.set(x + i, y, ProgressBar.partial[filled], theme.barDone) }
            else { buf.set(x + i, y, theme.colour ? "━" : "·", theme.barLeft) }
        }
    }
}
