import AttentionEngine
import Foundation

/// The top line: the tool, the preset, the setup in brief and what is running.
struct HeaderBar {
    var state: AppState
    var now: Double

    func draw(into buf: inout CellBuffer, _ r: Rect, theme: Theme) {
        let bar = theme.colour ? Style(fg: .index(252), bg: .index(236)) : Style([.reverse])
        buf.fill(r, " ", bar)
        // The job status keeps its place at the right; the setup summary gets what is left.
        let status = jobStatus(theme)
        let statusWidth = status.text.isEmpty ? 0 : status.text.count + 2
        if statusWidth > 0 { buf.put(status.text, x: r.maxX - statusWidth + 1, y: r.y, style: bar.with(fg: status.colour)) }
        var x = r.x + buf.put(" attnscope ", x: r.x, y: r.y, style: bar.adding(.bold).with(fg: theme.titleFocused.fg))
        let s = state.setup
        let shape = s.inputs.map { "inputs \($0)" }
            ?? "N \(ReadableNumbers.grouped(s.seq)) · H \(s.heads) · G \(s.kvHeads) · d \(s.headDim) · \(s.workload.rawValue)"
        let summary = "\(state.presetName) │ \(shape) · \(s.causal ? "causal" : "non-causal") · rope \(s.ropeSettings.mode.rawValue) · \(s.threads) threads"
        x += buf.put(Text.truncated(summary, r.maxX - x - statusWidth - 1), x: x, y: r.y, style: bar)
    }

    func jobStatus(_ theme: Theme) -> (text: String, colour: Color) {
        if let sw = state.sweep, sw.phase == .running {
            return ("● sweep \(sw.step + 1)/\(sw.seqs.count) \(Int(sw.fraction * 100))%", theme.warning.fg)
        }
        guard let s = state.session else { return ("", .standard) }
        let done = s.results.count
        switch s.phase {
        case .running:
            let spinner = ["◐", "◓", "◑", "◒"][Int(now * 4) % 4]
            return ("\(spinner) running \(done)/\(s.included)", theme.warning.fg)
        case .finished: return ("✓ done \(done)/\(s.included)", theme.ok.fg)
        case .cancelled: return ("■ cancelled", theme.label.fg)
        case .failed: return ("✗ failed", theme.error.fg)
        }
    }
}

/// The two bottom lines: a message line (field errors, toasts) and the keys that apply now.
struct FooterBar {
    var state: AppState
    var now: Double

    /// Lines a long message may take, counting the message line itself.
    static let maxMessageLines = 4

    /// The message line. A message longer than the line wraps upward over what is above it
    /// (drawn last for that reason), so a long error such as the memory check's is read
    /// whole, not cut off before its figures; past `maxMessageLines` it ends in "…".
    func drawMessage(into buf: inout CellBuffer, _ r: Rect, theme: Theme) {
        let message: (text: String, isError: Bool)
        if let error = state.setupError {
            message = (error, true)
        } else if let t = state.toast, t.expires > now {
            message = (t.text, t.isError)
        } else {
            return
        }
        let width = r.width - 3
        var lines = Text.wrapped(message.text, width)
        if lines.count > Self.maxMessageLines {
            let cut = Self.maxMessageLines - 1
            lines = Array(lines.prefix(cut)) + [Text.truncated(lines[cut...].joined(separator: " "), width)]
        }
        // The screen is at least AppState.minimumSize high, so the lines always fit above.
        for (i, line) in lines.enumerated() {
            let row = Rect(x: r.x, y: r.y - lines.count + 1 + i, width: r.width, height: 1)
            buf.fill(row)
            let mark = i > 0 ? "   " : message.isError ? " ✗ " : " ✓ "
            buf.put(mark + line, x: r.x, y: row.y, style: message.isError ? theme.error : theme.ok, maxWidth: r.width)
        }
    }

    func draw(into buf: inout CellBuffer, keys k: Rect, theme: Theme) {
        // Help and quit show at the right (not while typing, nor quit in a dialog, where
        // those keys mean something else); the rest fill from the left while they fit.
        var typing = state.setupEditor != nil
        if case .prompt? = state.modal { typing = true }
        if case .methodForm(let f)? = state.modal, f.editor != nil { typing = true }
        let pinned = typing ? [] : Keymap.bindings(in: .global).filter {
            $0.action == .help || ($0.action == .quit && state.modal == nil)
        }
        var right = k.maxX
        for b in pinned.reversed() { right -= drawHint(b, into: &buf, x: right - hintWidth(b), y: k.y, theme: theme) }
        var x = k.x + 1
        for b in bindings() where !pinned.contains(where: { $0.action == b.action && $0.scope == b.scope }) {
            if x + hintWidth(b) > right { break }
            x += drawHint(b, into: &buf, x: x, y: k.y, theme: theme)
        }
    }

    func hintWidth(_ b: Binding) -> Int { b.keys.map(\.name).joined(separator: "/").count + b.short.count + 3 }

    /// `key short` in the footer; returns the width used.
    func drawHint(_ b: Binding, into buf: inout CellBuffer, x: Int, y: Int, theme: Theme) -> Int {
        let used = buf.put(b.keys.map(\.name).joined(separator: "/"), x: x, y: y, style: theme.key)
        return used + buf.put(" " + b.short + "  ", x: x + used, y: y, style: theme.muted)
    }

    /// The bindings worth showing now: the open dialog's or field's, else the focused
    /// panel's, then the global ones.
    func bindings() -> [Binding] {
        if state.setupEditor != nil { return Keymap.bindings(in: .editing).filter { $0.action == .edit || $0.action == .back } }
        switch state.modal {
        case .prompt?: return Keymap.bindings(in: .editing).filter { $0.action == .edit || $0.action == .back }
        case .confirm?: return Keymap.bindings(in: .dialog).filter { [.confirmYes, .confirmNo].contains($0.action) }
        case .methodForm(let f)?:
            return f.editor != nil ? Keymap.bindings(in: .editing).filter { $0.action == .edit || $0.action == .back }
                : Keymap.bindings(in: .dialog).filter { [.edit, .back].contains($0.action) }
        case .sweep?:
            return Keymap.bindings(in: .global).filter { [.sweep, .cancel, .help].contains($0.action) }
                + Keymap.bindings(in: .dialog).filter { $0.action == .back }
        case .help?, .reproduce?:
            // Nothing to choose or move through: Enter closes them too, but only "close" says so.
            return Keymap.bindings(in: .dialog).filter { $0.action == .back }
        case .picker?:
            return Keymap.bindings(in: .dialog).filter { [.edit, .back, .up, .down].contains($0.action) }
        case .details?:
            return Keymap.bindings(in: .dialog).filter { [.back, .up, .down].contains($0.action) }
        case nil: break
        }
        let panel = state.focus.scope.map(Keymap.bindings(in:)) ?? []
        let global: [Action] = [.run, .cancel, .save, .load, .export, .sweep, .cycleView, .filter, .reproduce, .focusNext, .help, .quit]
        return panel + global.compactMap { a in Keymap.bindings(in: .global).first { $0.action == a } }
    }
}
