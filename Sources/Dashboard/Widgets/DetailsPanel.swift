import AttentionEngine

/// The Details panel (wide screens): every figure of the selected variant's row, its method
/// settings, the method's own extras (per-head values listed) and its latency history.
struct DetailsPanel {
    var state: AppState
    var now: Double
    /// Lines scrolled past (the full-screen view opened by Enter in Results scrolls).
    var scroll = 0
    /// Drawn over the whole screen rather than beside the heatmap.
    var isOverlay = false

    func draw(into buf: inout CellBuffer, _ r: Rect, theme: Theme) {
        guard let row = state.selectedRow else { drawVariant(into: &buf, r, theme: theme); return }
        let inner = Frame(title: "Details · \(row.label)", note: isOverlay ? "↑/↓ scroll · Esc closes" : "",
                          focused: isOverlay).draw(into: &buf, r, theme: theme)
        let (shown, keyWidth) = lines(of: row, width: inner.width, theme: theme)
        draw(shown, keyWidth: keyWidth, in: inner, into: &buf, theme: theme)
    }

    /// How far the full-screen view can scroll on the state's screen (drawn over the body:
    /// all but the header line and the two bottom lines).
    static func maxScroll(_ state: AppState, now: Double) -> Int {
        guard let row = state.selectedRow else { return 0 }
        let inner = Rect(x: 0, y: 0, width: state.width, height: state.height - 3).inset(1)
        let panel = DetailsPanel(state: state, now: now, isOverlay: true)
        return max(0, panel.lines(of: row, width: inner.width, theme: .monochrome).lines.count - inner.height)
    }

    /// The panel's lines for `row` at an inside width of `width`, and the key column's width.
    func lines(of row: RowState, width: Int, theme: Theme) -> (lines: [Line], keyWidth: Int) {
        // Each value is phrases that stay whole when the panel wraps it (`Text.wrapped(phrases:)`).
        var lines: [(key: String, phrases: [String], joiner: String)] = []
        func add(_ key: String, _ value: String) { lines.append((key, [value], " ")) }
        func add(_ key: String, phrases: [String]) { lines.append((key, phrases, " ")) }
        func add(_ key: String, list: [String]) { add(key, phrases: list.indices.map { $0 < list.count - 1 ? list[$0] + "," : list[$0] }) }
        // Heads are told apart by more than the space inside a phrase.
        func add(_ key: String, perHead values: [String]) { lines.append((key, values.indices.map { "h\($0 + 1) \(values[$0])" }, "  ")) }
        let variant = state.session?.spec.methods.first { $0.label == row.label }
        add("method", row.method)
        if let v = variant, !v.params.isEmpty {
            add("settings", phrases: v.params.keys.sorted().map { "\($0)=\(v.params[$0]!)" })
        }
        if let r = row.result {
            add("latency", list: ["\(ReadableNumbers.milliseconds(r.latencyMs)) ms median", "\(ReadableNumbers.milliseconds(r.latencyMsMin)) ms min"])
            add("FLOPs", phrases: ["\(ReadableNumbers.si(Double(r.flops))) of \(ReadableNumbers.si(Double(r.denseFlops))) dense",
                                   "(\(ReadableNumbers.percent(r.flopsSaved)) saved)"])
            add("throughput", String(format: "%.1f GFLOP/s", r.gflops))
            add("error", list: ["RMSE \(ReadableNumbers.scientific(r.rmse))", "max \(ReadableNumbers.scientific(r.maxAbsErr))",
                                "rel L2 \(ReadableNumbers.scientific(r.relL2Err))"])
            add("recall", phrases: [String(format: "%.4f", r.recall), "on \(ReadableNumbers.grouped(r.referenceRows)) rows/head"])
            add("memory", ReadableNumbers.si(Double(r.memoryBytes), binary: true) + "B working memory")
            add("shape", phrases: ["N=\(ReadableNumbers.grouped(r.seq))", "H=\(r.heads)", "G=\(r.kvHeads)", "d=\(r.headDim)",
                                   r.causal ? "causal" : "non-causal"])
            add("threads", String(r.threads))
            for e in r.extras {
                switch e.value {
                case .number(let x): add(e.name, ReadableNumbers.value(x, significant: 6, grouped: true))
                case .text(let t): add(e.name, t)
                case .perHead(let l): add(e.name, perHead: l)
                case .perHeadNumbers(let xs): add(e.name, perHead: xs.map { ReadableNumbers.value($0, significant: 3, grouped: false) })
                case .series(let xs):
                    // A series as a sparkline (its last values if long) and its range.
                    let spark = String(String.UnicodeScalarView(Sparkline(values: xs).symbols(width: width - 16)))
                    let finite = xs.filter(\.isFinite)
                    let range = finite.isEmpty ? "" : " \(String(format: "%.3g", finite.min()!))…\(String(format: "%.3g", finite.max()!))"
                    add(e.name, spark + range)
                }
            }
        } else {
            let status = switch row.status {
            case .queued: "queued"
            case .running(let f): "running, \(Int(f * 100))% of warmup and timed runs" + (row.timeLeftText(at: now).map { ", \($0)" } ?? "")
            case .stopped:
                // The toast fades; the reason a run failed stays here, wrapped to the panel.
                if case .failed(let e)? = state.session?.phase { "failed: \(e.message)" } else { "not finished" }
            case .done: "done"
            case .skipped(let reason): "skipped: \(reason)"
            }
            add("status", status)
        }
        // Keys get a column of their own, at least one space from the values; a key longer
        // than the column (an extra such as `kernel_gflops` in a narrow panel) ends in "…".
        let keyWidth = min(14, max(8, lines.map(\.key.count).max() ?? 0) + 1)
        var shown: [Line] = []
        for (key, phrases, joiner) in lines {
            for (i, part) in Text.wrapped(phrases: phrases, joiner: joiner, width - keyWidth - 2).enumerated() {
                shown.append(.text(key: i == 0 ? key : "", value: part, style: theme.value))
            }
        }
        if let history = state.history(of: row.label) {
            let sparkWidth = min(history.count, width - keyWidth - 2)
            let range = history.suffix(sparkWidth)
            shown.append(.text(key: "", value: "", style: theme.value))
            shown.append(.sparkline(key: "history", values: history, width: sparkWidth))
            shown.append(.text(key: "", value: history.count == 1 ? "1 run" : "\(history.count) runs, "
                + "\(ReadableNumbers.milliseconds(range.min()!))–\(ReadableNumbers.milliseconds(range.max()!)) ms", style: theme.muted))
        }
        return (shown, keyWidth)
    }

    /// One screen line of the panel.
    enum Line {
        case text(key: String, value: String, style: Style)
        case sparkline(key: String, values: [Double], width: Int)
    }

    /// Lines from `scroll` on; when more follow than fit, the last row says how many and
    /// how to see them (Enter in Results opens this panel over the whole screen).
    func draw(_ lines: [Line], keyWidth: Int, in inner: Rect, into buf: inout CellBuffer, theme: Theme) {
        guard inner.height > 0 else { return }
        let first = min(scroll, max(0, lines.count - inner.height))
        let rest = lines.count - first
        let fits = rest <= inner.height
        for (i, line) in lines[first...].prefix(fits ? inner.height : inner.height - 1).enumerated() {
            let y = inner.y + i, x = inner.x + 1 + keyWidth, room = inner.width - keyWidth - 2
            switch line {
            case .text(let key, let value, let style):
                buf.put(Text.truncated(key, keyWidth - 1), x: inner.x + 1, y: y, style: theme.label)
                buf.put(value, x: x, y: y, style: style, maxWidth: room)
            case .sparkline(let key, let values, let width):
                buf.put(Text.truncated(key, keyWidth - 1), x: inner.x + 1, y: y, style: theme.label)
                Sparkline(values: values).draw(into: &buf, x: x, y: y, width: min(width, room), style: theme.barDone)
            }
        }
        if !fits {
            let more = rest - (inner.height - 1)
            buf.put("↓ \(more) more line\(more == 1 ? "" : "s")" + (isOverlay ? " · ↓ scrolls" : " · Enter in Results shows all"),
                    x: inner.x + 1, y: inner.maxY - 1, style: theme.muted, maxWidth: inner.width - 2)
        }
    }

    /// Before any run: the variant under the Methods cursor, its method and every key.
    func drawVariant(into buf: inout CellBuffer, _ r: Rect, theme: Theme) {
        let variant = state.variants.indices.contains(state.methodsCursor) ? state.variants[state.methodsCursor] : nil
        let inner = Frame(title: "Details · \(variant?.spec.label ?? "–")").draw(into: &buf, r, theme: theme)
        guard let variant, let d = try? MethodRegistry.descriptor(named: variant.spec.method) else { return }
        var lines = Text.wrapped("\(d.name): \(d.summary)", inner.width - 2).map { ($0, theme.value) }
        lines.append(("", theme.value))
        for key in d.keys {
            let value = variant.spec.params[key.name].map { "= \($0)" } ?? "default \(key.defaultValue)"
            lines.append(("\(key.name) \(value)", theme.label))
            lines += Text.wrapped(key.help, inner.width - 4).map { ("  " + $0, theme.muted) }
        }
        for (i, line) in lines.enumerated() where i < inner.height {
            buf.put(line.0, x: inner.x + 1, y: inner.y + i, style: line.1, maxWidth: inner.width - 2)
        }
    }
}
