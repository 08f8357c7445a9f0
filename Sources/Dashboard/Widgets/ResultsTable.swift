import AttentionEngine
import Foundation

/// The Results panel: one line per variant of the latest run, live. Running variants show a
/// progress bar; finished ones their numbers, formatted for reading, with the units in the
/// header. The label column stays put while ←/→ scroll the other columns; the selected
/// column's header is highlighted and `o` sorts by it.
struct ResultsTable {
    var state: AppState
    var now: Double

    static let gap = 2
    static let historyWidth = 8
    static let maxColumnWidth = 24

    func draw(into buf: inout CellBuffer, _ r: Rect, theme: Theme) {
        let focused = state.focus == .results && state.modal == nil
        let inner = Frame(title: "Results", note: note(), focused: focused).draw(into: &buf, r, theme: theme)
        guard inner.height > 0, inner.width > 10 else { return }
        guard let session = state.session else {
            let spec = state.runSpec
            let variants = "\(spec.methods.count) variant\(spec.methods.count == 1 ? "" : "s")"
            let text = spec.inputs.map { "No results yet. r runs \(variants) on the Q/K/V in \($0)." }
                ?? "No results yet. r runs \(variants) at N=\(ReadableNumbers.grouped(spec.seq)), H=\(spec.heads), d=\(spec.headDim); w sweeps N."
            for (i, line) in Text.wrapped(text, inner.width - 2).enumerated() where i < inner.height {
                buf.put(line, x: inner.x + 1, y: inner.y + i, style: theme.muted)
            }
            return
        }
        let rows = state.visibleRows
        let columns = ResultColumn.all(for: session.results)
        // Each column as wide as its widest cell or its header (plus a sort mark), at most
        // `maxColumnWidth` (longer cells, e.g. per-head lists, end in "…"; Details shows them whole).
        let widths = columns.map { c in
            min(ResultsTable.maxColumnWidth, max(c.title.count + 1, rows.compactMap(\.result).map { c.text($0).count }.max() ?? 0))
        }
        let labelWidth = min(24, max(8, rows.map(\.label.count).max() ?? 0))
        let historyWidth = inner.width >= 100 ? ResultsTable.historyWidth + ResultsTable.gap : 0
        // Columns after the label, scrolled so the chosen one is visible.
        let cursor = state.resultsColumn(among: columns.count)
        let selectedColumn = max(1, cursor)
        var firstColumn = 1
        let room = inner.width - 1 - labelWidth - historyWidth
        while firstColumn < selectedColumn,
              (firstColumn...selectedColumn).map({ widths[$0] + ResultsTable.gap }).reduce(0, +) > room {
            firstColumn += 1
        }
        let y0 = inner.y
        let x0 = inner.x + 1
        // Header.
        let sortMark = { (id: String) -> String in
            guard let s = state.sort, s.column == id else { return "" }
            return s.descending ? "↓" : "↑"
        }
        let headerStyle = { (i: Int) -> Style in focused && i == cursor ? theme.headerSelected : theme.header }
        buf.put(Text.left(columns[0].title + sortMark(columns[0].id), labelWidth), x: x0, y: y0, style: headerStyle(0))
        let dataX = x0 + labelWidth + historyWidth
        if historyWidth > 0 { buf.put("history", x: x0 + labelWidth + ResultsTable.gap, y: y0, style: theme.header) }
        var x = dataX
        var shown: [(column: Int, x: Int)] = []
        for c in firstColumn..<columns.count {
            let w = widths[c] + ResultsTable.gap
            if x + w > inner.maxX { break }
            buf.put(ResultsTable.cell(columns[c].title + sortMark(columns[c].id), width: widths[c]), x: x, y: y0, style: headerStyle(c))
            shown.append((c, x))
            x += w
        }
        if firstColumn > 1 { buf.set(dataX, y0, "‹", theme.muted) }
        if let last = shown.last, last.column < columns.count - 1 { buf.set(inner.maxX - 1, y0, "›", theme.muted) }
        // Rows, scrolled to keep the selection visible.
        let visible = inner.height - 1
        let selectedIndex = state.selectedIndex(in: rows) ?? 0
        let first = max(0, min(selectedIndex - visible + 1, rows.count - visible))
        // Rows scrolled out of sight are counted on the bottom edge ("↑ 1 · ↓ 2 more rows").
        let above = first, below = max(0, rows.count - first - visible)
        if above + below > 0 {
            let marks = [above > 0 ? "↑ \(above)" : nil, below > 0 ? "↓ \(below)" : nil].compactMap { $0 }
            let text = " " + marks.joined(separator: " · ") + " more row\(above + below == 1 ? "" : "s") "
            buf.put(text, x: max(r.x + 1, r.maxX - 2 - text.count), y: r.maxY - 1, style: theme.muted, maxWidth: r.width - 2)
        }
        for (line, i) in (first..<rows.count).enumerated() where line < visible {
            let row = rows[i], y = y0 + 1 + line
            let selected = i == selectedIndex
            let base = selected ? (focused ? theme.selected : theme.selectedUnfocused) : theme.value
            if selected { buf.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), " ", base) }
            buf.put(Text.left(row.label, labelWidth), x: x0, y: y, style: base)
            if historyWidth > 0, let history = state.history(of: row.label), history.count > 1 {
                Sparkline(values: history).draw(into: &buf, x: x0 + labelWidth + ResultsTable.gap, y: y,
                                                width: ResultsTable.historyWidth - 1, style: selected ? base : theme.barDone)
            }
            if let result = row.result {
                for (c, cx) in shown {
                    buf.put(ResultsTable.cell(columns[c].text(result), width: widths[c]), x: cx, y: y, style: base)
                }
            } else {
                drawStatus(row.status, into: &buf, x: dataX + ResultsTable.gap, y: y,
                           width: inner.maxX - dataX - ResultsTable.gap - 1, theme: theme, base: base, selected: selected)
            }
        }
    }

    /// A cell right-aligned in `width` columns after the gap; a longer text is cut to
    /// `width`, so the gap stays and it never runs into the column before.
    static func cell(_ text: String, width: Int) -> String {
        String(repeating: " ", count: gap) + Text.right(text, width)
    }

    func drawStatus(_ status: RowState.Status, into buf: inout CellBuffer, x: Int, y: Int, width: Int,
                    theme: Theme, base: Style, selected: Bool) {
        let muted = selected ? base : theme.muted
        switch status {
        case .queued: buf.put("queued", x: x, y: y, style: muted)
        case .running(let f):
            let barWidth = max(4, min(24, width - 6))
            ProgressBar(fraction: f).draw(into: &buf, x: x, y: y, width: barWidth, theme: theme)
            buf.put(String(format: " %3d%%", Int(f * 100)), x: x + barWidth, y: y, style: base)
        case .stopped:
            let text = if case .failed? = state.session?.phase { "failed" } else { "cancelled" }
            buf.put(text, x: x, y: y, style: muted)
        case .skipped: buf.put("skipped", x: x, y: y, style: muted)
        case .done: break
        }
    }

    /// The frame note: the run's stage and elapsed time, and the filter if any.
    func note() -> String {
        var parts: [String] = []
        if !state.filter.isEmpty { parts.append("filter: \(state.filter)") }
        if let s = state.session {
            let done = s.results.count
            let elapsed = (s.ended ?? now) - s.started
            switch s.phase {
            case .running:
                let left = s.rows.lazy.compactMap { $0.timeLeftText(at: now) }.first.map { ", \($0)" } ?? ""
                parts.append("\(s.stage)\(left) · \(done)/\(s.included) · \(String(format: "%.1f s", elapsed))")
            case .finished: parts.append("done \(done)/\(s.included) in \(String(format: "%.1f s", elapsed))")
            case .cancelled: parts.append("cancelled \(done)/\(s.included)")
            case .failed: parts.append("failed")
            }
            if s.skipped > 0 { parts.append("\(s.skipped) skipped") }
            if s.phase != .running && !state.showsCurrentSetup { parts.append("setup changed since") }
        }
        return parts.joined(separator: " · ")
    }
}
