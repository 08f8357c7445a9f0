import AttentionEngine

/// The Methods panel: every variant of the setup with its on/off mark, label and the keys
/// it sets (defaults left out).
struct MethodsPanel {
    var state: AppState

    func draw(into buf: inout CellBuffer, _ r: Rect, theme: Theme) {
        let focused = state.focus == .methods && state.modal == nil
        let on = state.variants.filter(\.enabled).count
        let inner = Frame(title: "Methods", note: "\(on) of \(state.variants.count) on", focused: focused)
            .draw(into: &buf, r, theme: theme)
        guard inner.height > 0 else { return }
        if state.variants.isEmpty {
            buf.put(" no variants: a adds one", x: inner.x, y: inner.y, style: theme.muted, maxWidth: inner.width)
            return
        }
        let first = max(0, min(state.methodsCursor - inner.height + 1, state.variants.count - inner.height))
        for (row, i) in (first..<state.variants.count).enumerated() where row < inner.height {
            let v = state.variants[i], y = inner.y + row
            let selected = i == state.methodsCursor
            let base = selected ? (focused ? theme.selected : theme.selectedUnfocused) : theme.value
            if selected { buf.fill(inner.row(row), " ", base) }
            buf.set(inner.x + 1, y, v.enabled ? "✓" : "·", selected ? base : (v.enabled ? theme.ok : theme.muted))
            let x = inner.x + 3
            let used = buf.put(v.spec.label, x: x, y: y, style: v.enabled || selected ? base : theme.muted, maxWidth: inner.width - 4)
            let settings = v.spec.params.keys.sorted().map { "\($0)=\(v.spec.params[$0]!)" }
            let detail = ([v.spec.label == v.spec.method || v.spec.label.hasPrefix(v.spec.method) ? "" : v.spec.method] + settings)
                .filter { !$0.isEmpty }.joined(separator: " ")
            if !detail.isEmpty, inner.width - 4 - used > 3 {
                buf.put(" " + detail, x: x + used, y: y, style: selected ? base : theme.muted, maxWidth: inner.width - 4 - used)
            }
        }
    }
}
