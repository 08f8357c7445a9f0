import AttentionEngine

/// The whole screen: lays the panels out for the terminal size and draws the state into a
/// cell buffer. From 80×24 up: a header line; Setup and Methods on the left; Results over
/// the Heatmap on the right (with Details beside the heatmap when wide); a message line and
/// the keys at the bottom. Dialogs and the sweep page cover the panels.
public enum Screen {
    public static func render(_ state: AppState, theme: Theme, now: Double) -> CellBuffer {
        var buf = CellBuffer(width: state.width, height: state.height)
        draw(state, theme: theme, now: now, into: &buf)
        return buf
    }

    public static func draw(_ state: AppState, theme: Theme, now: Double, into buf: inout CellBuffer) {
        buf.fill(buf.area)
        if state.isTooSmall { TooSmallScreen().draw(into: &buf, theme: theme); return }
        let (header, rest) = buf.area.splitTop(1)
        let (body, bottom) = rest.splitTop(rest.height - 2)
        HeaderBar(state: state, now: now).draw(into: &buf, header, theme: theme)
        let footer = FooterBar(state: state, now: now)
        footer.draw(into: &buf, keys: bottom.row(1), theme: theme)

        let leftWidth = body.width >= 140 ? 36 : body.width >= 100 ? 32 : 30
        let (left, right) = body.splitLeft(leftWidth)
        let (setup, methods) = left.splitTop(min(SetupPanel.height, left.height - 3))
        SetupPanel(state: state).draw(into: &buf, setup, theme: theme)
        MethodsPanel(state: state).draw(into: &buf, methods, theme: theme)

        let rowCount = state.session?.rows.count ?? 2
        let resultsHeight = min(max(6, rowCount + 3), max(6, body.height * 2 / 5))
        let (results, lower) = right.splitTop(resultsHeight)
        ResultsTable(state: state, now: now).draw(into: &buf, results, theme: theme)
        // Details beside the heatmap when there is room for both (the map shrinks to fit).
        let seq = state.session?.spec.seq ?? state.setup.seq
        let detailsWidth = max(34, lower.width - HeatmapPanel.preferredWidth(height: lower.height, seq: seq))
        if lower.width - detailsWidth >= 50 {
            let (heat, details) = lower.splitLeft(lower.width - detailsWidth)
            HeatmapPanel(state: state).draw(into: &buf, heat, theme: theme)
            DetailsPanel(state: state, now: now).draw(into: &buf, details, theme: theme)
        } else {
            HeatmapPanel(state: state).draw(into: &buf, lower, theme: theme)
        }

        switch state.modal {
        case .help(let fromSweep)?:
            if fromSweep { SweepPage(state: state).draw(into: &buf, body, theme: theme) }
            HelpOverlay().draw(into: &buf, body, theme: theme)
        case .reproduce(let skipped)?: ReproduceOverlay(setup: state.runSpec, skipped: skipped).draw(into: &buf, body, theme: theme)
        case .sweep?: SweepPage(state: state).draw(into: &buf, body, theme: theme)
        case .prompt(let p)?:
            if p.purpose == .sweepLengths, state.sweep != nil { SweepPage(state: state).draw(into: &buf, body, theme: theme) }
            PromptOverlay(prompt: p).draw(into: &buf, body, theme: theme)
        case .picker(let p)?: PickerOverlay(picker: p).draw(into: &buf, body, theme: theme)
        case .confirm(let c)?: ConfirmOverlay(confirm: c).draw(into: &buf, body, theme: theme)
        case .methodForm(let f)?:
            if state.variants.indices.contains(f.variant) {
                MethodFormOverlay(form: f, variant: state.variants[f.variant]).draw(into: &buf, body, theme: theme)
            }
        case .details(let scroll)?: DetailsPanel(state: state, now: now, scroll: scroll, isOverlay: true).draw(into: &buf, body, theme: theme)
        case nil: break
        }
        // Last: a long message wraps upward over the panels and dialogs.
        footer.drawMessage(into: &buf, bottom.row(0), theme: theme)
    }
}
