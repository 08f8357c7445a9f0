import AttentionEngine

/// The Setup panel: one line per `SetupField`, label on the left and value on the right.
/// The selected field is highlighted; enumerations show ‹ › arrows; a field being typed
/// into shows the text and its cursor.
struct SetupPanel {
    var state: AppState

    static var height: Int { SetupField.allCases.count + 2 }

    func draw(into buf: inout CellBuffer, _ r: Rect, theme: Theme) {
        let focused = state.focus == .setup && state.modal == nil
        let inner = Frame(title: "Setup", note: state.presetName, focused: focused).draw(into: &buf, r, theme: theme)
        let labelWidth = min(16, inner.width - 12)
        for (i, field) in SetupField.allCases.enumerated() where i < inner.height {
            let y = inner.y + i
            let selected = i == state.setupCursor
            let rowStyle = selected ? (focused ? theme.selected : theme.selectedUnfocused) : theme.value
            if selected { buf.fill(inner.row(i), " ", rowStyle) }
            buf.put(" " + field.label, x: inner.x, y: y, style: selected ? rowStyle : theme.label, maxWidth: labelWidth)
            let valueX = inner.x + labelWidth, valueWidth = inner.width - labelWidth - 1
            if selected, let editor = state.setupEditor {
                LineEditorView(editor: editor, error: state.setupError != nil)
                    .draw(into: &buf, x: valueX, y: y, width: valueWidth, theme: theme)
                continue
            }
            var text = field.text(state.setup)
            // The arrows say the value cycles, so a long value is cut, not them.
            if field.isChoice && selected && focused { text = "‹ " + Text.truncated(text, valueWidth - 4) + " ›" }
            buf.put(Text.right(text, valueWidth), x: valueX, y: y, style: rowStyle)
        }
    }
}

/// A line editor drawn in place: its text on the editing background, the cursor reversed.
struct LineEditorView {
    var editor: LineEditor
    var error = false

    func draw(into buf: inout CellBuffer, x: Int, y: Int, width: Int, theme: Theme) {
        guard width > 0 else { return }
        let style = error ? theme.editing.with(bg: theme.colour ? .index(203) : .standard) : theme.editing
        let chars = editor.text
        // Scroll so the cursor stays visible.
        let start = max(0, editor.cursor - width + 1)
        for i in 0..<width {
            let idx = start + i
            let ch: Unicode.Scalar = idx < chars.count ? chars[idx].unicodeScalars.first! : " "
            let cell = idx == editor.cursor ? style.adding(.reverse).adding(.underline) : style
            buf.set(x + i, y, CellBuffer.displayable(ch) ?? "?", cell)
        }
    }
}
