import AttentionEngine
import Foundation

/// Series of (x, y) points on log–log axes in braille dots, each series in its colour and
/// joined by lines, with decade ticks, and a legend giving each series' fitted slope (the
/// exponent of y ∝ xᵏ: 2 for cost growing with N², 1 for linear).
struct LogLogPlot {
    struct Series {
        var label: String
        var points: [(x: Double, y: Double)]
        /// Extra legend text (e.g. FLOPs saved at the largest N).
        var note: String = ""
    }

    var title: String
    var series: [Series]
    var format: (Double) -> String

    func draw(into buf: inout CellBuffer, _ r: Rect, theme: Theme) {
        let inner = Frame(title: title).draw(into: &buf, r, theme: theme)
        let points = series.flatMap(\.points).filter { $0.x > 0 && $0.y > 0 }
        let legendRows = min(series.count, max(0, inner.height - 4))
        guard points.count >= 1, inner.height - legendRows >= 3, inner.width > 14 else {
            buf.put(" waiting for results…", x: inner.x, y: inner.y, style: theme.muted, maxWidth: inner.width)
            return
        }
        let xs = points.map { log10($0.x) }, ys = points.map { log10($0.y) }
        let (x0, x1) = (xs.min()!, max(xs.max()!, xs.min()! + 1e-9))
        var (y0, y1) = (ys.min()!, ys.max()!)
        let pad = max(0.05, (y1 - y0) * 0.08)
        y0 -= pad; y1 += pad
        let labelWidth = 8
        let plot = Rect(x: inner.x + labelWidth, y: inner.y, width: inner.width - labelWidth - 1,
                        height: inner.height - legendRows - 1)
        var canvas = BrailleCanvas(width: plot.width, height: plot.height)
        func px(_ x: Double) -> Int { Int(((log10(x) - x0) / (x1 - x0) * Double(canvas.dotsWide - 1)).rounded()) }
        func py(_ y: Double) -> Int { Int(((y1 - log10(y)) / (y1 - y0) * Double(canvas.dotsHigh - 1)).rounded()) }
        for (s, serie) in series.enumerated() {
            let pts = serie.points.filter { $0.x > 0 && $0.y > 0 }.sorted { $0.x < $1.x }
            for (a, b) in zip(pts, pts.dropFirst()) { canvas.line(px(a.x), py(a.y), px(b.x), py(b.y), series: s) }
            for p in pts { canvas.dot(px(p.x), py(p.y), series: s) }
        }
        // Axes: a line left of the plot and below it, decade ticks on y, the first/last x.
        for y in plot.y..<plot.maxY { buf.set(plot.x - 1, y, "│", theme.frame) }
        for x in plot.x - 1..<plot.maxX { buf.set(x, plot.maxY, "─", theme.frame) }
        buf.set(plot.x - 1, plot.maxY, "└", theme.frame)
        canvas.draw(into: &buf, x: plot.x, y: plot.y, theme: theme)
        let lowDecade = Int(ceil(y0)), highDecade = max(lowDecade, Int(floor(y1)))
        var ticks: [Double] = (lowDecade...highDecade).filter { Double($0) <= y1 }.map { pow(10.0, Double($0)) }
        if ticks.count < 2 { ticks = [pow(10, y0 + pad), pow(10, y1 - pad)] }
        for t in ticks {
            let row = plot.y + py(t) / 4
            if row >= plot.y && row < plot.maxY { buf.put(Text.right(format(t), labelWidth - 2), x: inner.x, y: row, style: theme.muted) }
        }
        let xTicks = Array(Set(points.map(\.x))).sorted()
        var lastEnd = plot.x - 2
        for t in xTicks {
            let text = t < 1e6 ? ReadableNumbers.grouped(Int(t)) : ReadableNumbers.si(t, digits: 2)
            let cx = min(plot.maxX - text.count, max(plot.x, plot.x + px(t) / 2 - text.count / 2))
            if cx > lastEnd + 1 { buf.put(text, x: cx, y: plot.maxY, style: theme.muted); lastEnd = cx + text.count }
        }
        for (s, serie) in series.prefix(legendRows).enumerated() {
            let y = plot.maxY + 1 + s
            var x = inner.x + 1
            x += buf.put("━━ ", x: x, y: y, style: theme.seriesStyle(s))
            let slope = LogLogPlot.slope(serie.points).map { String(format: "slope %.2f", $0) } ?? ""
            buf.put([serie.label, slope, serie.note].filter { !$0.isEmpty }.joined(separator: "  "), x: x, y: y,
                    style: theme.value, maxWidth: inner.maxX - x)
        }
    }

    /// Least-squares slope of log y on log x (nil with fewer than two distinct x).
    static func slope(_ points: [(x: Double, y: Double)]) -> Double? {
        let p = points.filter { $0.x > 0 && $0.y > 0 }.map { (log($0.x), log($0.y)) }
        guard Set(p.map(\.0)).count >= 2 else { return nil }
        let mx = p.map(\.0).reduce(0, +) / Double(p.count), my = p.map(\.1).reduce(0, +) / Double(p.count)
        let sxy = p.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +), sxx = p.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        return sxy / sxx
    }
}
