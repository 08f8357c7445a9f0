import AttentionEngine
import Foundation

/// The Heatmap panel: the selected variant's map for the selected head, two map rows per
/// text row (▀ with the upper cell as foreground and the lower as background), viridis
/// colours, a colour bar with its scale, and axes in tokens. Without colour, one map row
/// per text row in shade characters.
struct HeatmapPanel {
    var state: AppState

    func draw(into buf: inout CellBuffer, _ r: Rect, theme: Theme) {
        let focused = state.focus == .heatmap && state.modal == nil
        let row = state.selectedRow
        let heads = state.displayedHeads
        let head = min(state.head, heads - 1)
        // The map's axes run over the selected run's N (the result's own when inputs come from files).
        let seq = row?.result?.seq ?? state.session?.spec.seq ?? state.setup.seq
        let (grid, note, message) = content(row: row, head: head, seq: seq, area: r.inset(1), theme: theme)
        let view = grid.map { $0.scale == .linear } == false && state.heatmapView == .coverage ? "Attention" : state.heatmapView.title
        // With inputs from files, the number of heads is known once a result has come back.
        let headsKnown = (state.session?.spec ?? state.setup).inputs == nil || state.session?.results.isEmpty == false
        let headPart = headsKnown ? " · head \(head + 1)/\(heads)" : ""
        // A long label is cut so the head and the note (a figure: recall, mean coverage) stay
        // whole; the frame leaves width − 4, and 3 more around the note.
        let noteWidth = note.isEmpty ? 0 : note.count + 3
        let labelRoom = max(4, r.width - 4 - view.count - 3 - headPart.count - noteWidth)
        let title = "\(view) · \(Text.truncated(row?.label ?? "–", labelRoom))" + headPart
        let inner = Frame(title: title, note: note, focused: focused).draw(into: &buf, r, theme: theme)
        if let message {
            for (i, line) in Text.wrapped(message, inner.width - 2).enumerated() where i < inner.height {
                buf.put(line, x: inner.x + 1, y: inner.y + i, style: theme.muted)
            }
            return
        }
        if let grid { drawMap(grid, seq: seq, into: &buf, inner, theme: theme) }
    }

    /// Size of the map in display cells for an inner area: square in tokens, leaving room
    /// for the axis labels and the colour bar.
    static func mapSize(_ inner: Rect, seq: Int, colour: Bool) -> (rows: Int, cols: Int, textRows: Int) {
        let labelWidth = ReadableNumbers.grouped(seq).count + 1
        // A text cell is about twice as tall as wide, so 2 columns per text row is square.
        let cols = max(2, min(inner.width - labelWidth - barWidth, (inner.height - 1) * 2))
        let textRows = max(1, cols / 2)
        return (colour ? textRows * 2 : textRows, cols, textRows)
    }

    /// Panel width that fits a square map of the panel's full height (borders included).
    static func preferredWidth(height: Int, seq: Int) -> Int {
        (height - 3) * 2 + ReadableNumbers.grouped(seq).count + 1 + barWidth + 2
    }

    /// Columns right of the map: a gap, the two-column colour bar, a space, labels like "1e-04".
    static let barWidth = 11

    func content(row: RowState?, head: Int, seq: Int, area: Rect, theme: Theme) -> (HeatGrid?, String, String?) {
        guard let session = state.session else { return (nil, "", "The heatmap shows the selected variant once a run has results.") }
        guard let row else { return (nil, "", "No row selected (the filter hides every row).") }
        let size = HeatmapPanel.mapSize(area, seq: seq, colour: theme.colour)
        let noResults = row.status.isSkipped ? "\(row.label) was skipped: it cannot run on this setup (Details says why)."
            : "\(row.label) has no results yet."
        switch state.heatmapView {
        case .coverage:
            guard row.result != nil else { return (nil, "", noResults) }
            // A head that computed every allowed entry (exact methods; also a sparse pattern
            // that selects everything) has a flat map that says nothing: show what it
            // computed, the exact attention. Flash on a streamed run's reference rows records
            // no map, and computes every allowed entry of those rows.
            let complete = row.computedShares.map { $0[head] >= 1 } ?? true
            if complete || row.coverage == nil, let attention = session.attentionMap {
                let causal = row.result?.causal ?? session.spec.causal
                return (HeatGrid.attention(attention, head: head, rows: size.rows, cols: size.cols, causal: causal),
                        "all computed", nil)
            }
            guard let map = row.coverage else { return (nil, "", "\(row.label) records no coverage map.") }
            let g = HeatGrid.coverage(map, head: head, rows: size.rows, cols: size.cols)
            let share = row.computedShares.map { String(format: "mean %.1f%%", $0[head] * 100) } ?? ""
            return (g, share, nil)
        case .attention, .missed:
            guard let attention = session.attentionMap else {
                return (nil, "", session.phase == .running
                        ? "The exact attention map arrives when the run finishes (it comes from the float64 reference)."
                        : "No attention map: the run did not finish.")
            }
            let causal = row.result?.causal ?? session.spec.causal
            let exact = HeatGrid.attention(attention, head: head, rows: size.rows, cols: size.cols, causal: causal)
            if state.heatmapView == .attention { return (exact, "log₁₀ mass", nil) }
            guard row.result != nil else { return (nil, "", noResults) }
            guard let coverage = row.coverage else {
                return (nil, "", "\(row.label) records no coverage map: nothing is missed by an exact method.")
            }
            guard coverage.grid == attention.grid else { return (nil, "", "Coverage and attention grids differ.") }
            var missed = HeatGrid.attention(attention, head: head, rows: size.rows, cols: size.cols, causal: causal,
                                            missedFrom: coverage)
            missed.scale = exact.scale
            let recall = row.result.map { String(format: "recall %.4f", $0.recall) } ?? ""
            return (missed, recall, nil)
        }
    }

    func drawMap(_ grid: HeatGrid, seq: Int, into buf: inout CellBuffer, _ inner: Rect, theme: Theme) {
        let size = HeatmapPanel.mapSize(inner, seq: seq, colour: theme.colour)
        let labelWidth = ReadableNumbers.grouped(seq).count + 1
        let mapX = inner.x + labelWidth, mapY = inner.y
        for t in 0..<size.textRows {
            for c in 0..<grid.cols {
                if theme.colour {
                    let top = grid.normalised(grid.value(2 * t, c)), bottom = grid.normalised(grid.value(2 * t + 1, c))
                    buf.set(mapX + c, mapY + t, "▀", Style(fg: theme.heat(top), bg: theme.heat(bottom)))
                } else {
                    let v = grid.normalised(grid.value(t, c))
                    buf.set(mapX + c, mapY + t, Palette.shade(v), theme.value)
                }
            }
        }
        // Query axis (down), key axis (right), in tokens.
        let axis = theme.muted
        let ticks = [(0, "0"), (size.textRows / 2, ReadableNumbers.grouped(seq / 2)), (size.textRows - 1, ReadableNumbers.grouped(seq))]
        for (t, text) in ticks where t < size.textRows {
            buf.put(Text.right(text, labelWidth - 1), x: inner.x, y: mapY + t, style: axis)
        }
        let axisY = mapY + size.textRows
        buf.put("0", x: mapX, y: axisY, style: axis)
        let end = ReadableNumbers.grouped(seq)
        buf.put(end, x: mapX + grid.cols - end.count, y: axisY, style: axis)
        let keyLabel = "key →"
        if grid.cols > end.count + keyLabel.count + 4 {
            buf.put(keyLabel, x: mapX + (grid.cols - keyLabel.count) / 2, y: axisY, style: axis)
        }
        buf.put("q↓", x: inner.x, y: axisY, style: axis)
        drawColourBar(grid, into: &buf, x: mapX + grid.cols + 2, y: mapY, height: size.textRows, theme: theme)
    }

    /// A vertical bar from the highest value (top) to the lowest, with the scale's ends and middle.
    func drawColourBar(_ grid: HeatGrid, into buf: inout CellBuffer, x: Int, y: Int, height: Int, theme: Theme) {
        guard height >= 2 else { return }
        let steps = theme.colour ? height * 2 : height
        func value(_ i: Int) -> Double { 1 - Double(i) / Double(max(1, steps - 1)) }
        for t in 0..<height {
            if theme.colour {
                let style = Style(fg: theme.heat(value(2 * t)), bg: theme.heat(value(2 * t + 1)))
                buf.set(x, y + t, "▀", style); buf.set(x + 1, y + t, "▀", style)
            } else {
                let s = Palette.shade(value(t))
                buf.set(x, y + t, s, theme.value); buf.set(x + 1, y + t, s, theme.value)
            }
        }
        let labels: [String]
        switch grid.scale {
        case .linear: labels = ["1", "0.5", "0"]
        case .log(let lo, let hi):
            labels = hi > 0 ? [hi, (lo * hi).squareRoot(), lo].map { String(format: "%.0e", $0) } : ["0", "", ""]
        }
        for (i, text) in labels.enumerated() {
            let ty = [y, y + (height - 1) / 2, y + height - 1][i]
            buf.put(text, x: x + 3, y: ty, style: theme.muted)
        }
    }
}
