import AttentionEngine
import Foundation

/// The top line: the tool, the preset, the setup in brief and what is running.
struct HeaderBar {
    var state: AppState
    var now: Double

    func draw(into buf: inout CellBuffer, _ r: Rect, theme: Theme) {
        let bar = theme.colour ? Style(fg: .index(252), bg: .index(236)) : Style([.reverse])
        buf.fill(r, " ", bar)
        var x = r.x + buf.put(" attnscope ", x: r.x, y: r.y, style: bar.adding(.bold).with(fg: theme.colour ? .index(39) : .standard))
        let s = state.setup
        let shape = s.inputs.map { "inputs \($0)" }
            ?? "N \(ReadableNumbers.grouped(s.seq)) · H \(s.heads) · G \(s.kvHeads) · d \(s.headDim) · \(s.workload.rawValue)"
        let summary = "\(state.presetName) │ \(shape) · \(s.causal ? "causal" : "non-causal") · rope \(s.ropeSettings.mode.rawValue) · \(s.threads) thr"
        x += buf.put(summary, x: x, y: r.y, style: bar, maxWidth: r.maxX - x)
        let status = jobStatus()
        if !status.text.isEmpty, r.maxX - x > status.text.count + 2 {
            buf.put(status.text + " ", x: r.maxX - status.text.count - 1, y: r.y, style: bar.with(fg: status.colour))
        }
    }

    func jobStatus() -> (text: String, colour: Color) {
        if let sw = state.sweep, sw.phase == .running {
            return ("● sweep \(sw.step + 1)/\(sw.seqs.count) \(Int(sw.fraction * 100))%", .index(214))
        }
        guard let s = state.session else { return ("", .standard) }
        let done = s.rows.filter { $0.result != nil }.count
        switch s.phase {
        case .running:
            let spinner = ["◐", "◓", "◑", "◒"][Int(now * 4) % 4]
            return ("\(spinner) running \(done)/\(s.rows.count)", .index(214))
        case .finished: return ("✓ done \(done)/\(s.rows.count)", .index(78))
        case .cancelled: return ("■ cancelled", .index(246))
        case .failed: return ("✗ failed", .index(203))
        }
    }
}

/// The two bottom lines: a message line (field errors, toasts) and the keys that apply now.
struct FooterBar {
    var state: AppState
    var now: Double

    func draw(into buf: inout CellBuffer, message r: Rect, keys k: Rect, theme: Theme) {
        if let error = state.setupError {
            buf.put(" ✗ " + error, x: r.x, y: r.y, style: theme.error, maxWidth: r.width)
        } else if let t = state.toast, t.expires > now {
            buf.put((t.isError ? " ✗ " : " ✓ ") + t.text, x: r.x, y: r.y, style: t.isError ? theme.error : theme.ok, maxWidth: r.width)
        }
        var x = k.x + 1
        for b in bindings() {
            let key = b.keys.map(\.name).joined(separator: "/")
            let width = key.count + b.short.count + 3
            if x + width > k.maxX { break }
            x += buf.put(key, x: x, y: k.y, style: theme.key)
            x += buf.put(" " + b.short + "  ", x: x, y: k.y, style: theme.muted)
        }
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
        case .help?, .reproduce?, .picker?:
            return Keymap.bindings(in: .dialog).filter { [.edit, .back, .up, .down].contains($0.action) }
        case nil: break
        }
        let panel = state.focus.scope.map(Keymap.bindings(in:)) ?? []
        let global: [Action] = [.run, .cancel, .save, .load, .export, .sweep, .cycleView, .filter, .reproduce, .focusNext, .help, .quit]
        return panel + global.compactMap { a in Keymap.bindings(in: .global).first { $0.action == a } }
    }
}
