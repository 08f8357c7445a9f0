import AttentionEngine

/// Boxes drawn over the panels: help, the reproduce command, prompts, lists and questions.
enum Overlay {
    /// A framed box of `width`×`height` centred in `area`, cleared; returns its inside.
    static func box(_ title: String, width: Int, height: Int, in area: Rect, into buf: inout CellBuffer, theme: Theme) -> Rect {
        let r = area.centred(width: width, height: height)
        return Frame(title: title, focused: true).draw(into: &buf, r, theme: theme)
    }
}

/// `?`: every binding of the keymap, by scope, flowed into the fewest columns that fit;
/// sentences wrap when a column is wide enough, else the footer's short words are used. A
/// scope stays in one column when it fits in one; a binding's wrapped text always does.
struct HelpOverlay {
    static let keyWidth = 12

    typealias Line = (keys: String, text: String, header: Bool)

    func draw(into buf: inout CellBuffer, _ area: Rect, theme: Theme) {
        let inner = Overlay.box("Keys · Esc or ? closes", width: area.width, height: area.height, in: area, into: &buf, theme: theme)
        guard inner.height > 0 else { return }
        var chosen: (width: Int, columns: [[Line]]) = (inner.width, [])
        // Fewest columns first; at each count, whole scopes if they fit, else scopes split
        // between bindings (so wide text is not given up just to keep scopes whole).
        search: for count in 1...4 {
            let width = inner.width / count
            for scopeHeight in [inner.height, 0] {
                let blocks = blocks(textWidth: width - HelpOverlay.keyWidth - 2, height: scopeHeight)
                chosen = (width, HelpOverlay.columns(of: blocks, height: inner.height))
                if chosen.columns.count <= count { break search }
            }
        }
        for (c, column) in chosen.columns.enumerated() {
            let x = inner.x + 1 + c * chosen.width
            if x >= inner.maxX { break }
            for (y, line) in zip(inner.y..<inner.maxY, column) {
                if line.header {
                    buf.put(line.keys, x: x, y: y, style: theme.header, maxWidth: chosen.width - 2)
                } else {
                    buf.put(Text.truncated(line.keys, HelpOverlay.keyWidth - 1), x: x, y: y, style: theme.key)
                    buf.put(line.text, x: x + HelpOverlay.keyWidth, y: y, style: theme.value,
                            maxWidth: chosen.width - HelpOverlay.keyWidth - 2)
                }
            }
        }
    }

    /// The help for a given text width as blocks that must not be split: a blank line
    /// between scopes, and each scope whole if it fits in `height` lines, else its header
    /// with its first binding, then each further binding (`height` 0 splits every scope).
    func blocks(textWidth: Int, height: Int) -> [[Line]] {
        var blocks: [[Line]] = []
        for scope in KeyScope.allCases {
            if !blocks.isEmpty { blocks.append([("", "", true)]) }
            let bindings = Keymap.bindings(in: scope).map { b -> [Line] in
                let parts = textWidth >= 30 ? Text.wrapped(b.help, textWidth) : [b.short]
                return parts.enumerated().map { i, part in (keys: i == 0 ? b.keyNames : "", text: part, header: false) }
            }
            let header: Line = (scope.rawValue, "", true)
            if 1 + bindings.reduce(0, { $0 + $1.count }) <= height {
                blocks.append([header] + bindings.flatMap { $0 })
            } else {
                blocks.append([header] + (bindings.first ?? []))
                blocks += bindings.dropFirst()
            }
        }
        return blocks
    }

    /// Blocks packed into columns of `height` lines, a block that does not fit starting the
    /// next column; a column never starts with the blank line between scopes.
    static func columns(of blocks: [[Line]], height: Int) -> [[Line]] {
        var columns: [[Line]] = [[]]
        for block in blocks {
            let isGap = block.count == 1 && block[0].keys.isEmpty
            if !columns[columns.count - 1].isEmpty && columns[columns.count - 1].count + block.count > height { columns.append([]) }
            if isGap && columns[columns.count - 1].isEmpty { continue }
            columns[columns.count - 1] += block
        }
        return columns
    }
}

/// `p`: the `attnscope run …` command that reproduces the setup.
struct ReproduceOverlay {
    var setup: RunSpec
    /// Variants that cannot run on the setup: `r` skips them, but `run` would refuse the
    /// whole command, so the command leaves them out as `r` does, and says so.
    var skipped: [ComparisonRunner.UnrunnableVariant]

    func draw(into buf: inout CellBuffer, _ area: Rect, theme: Theme) {
        let width = min(area.width - 4, 100)
        let noneRun = skipped.count == setup.methods.count
        let spec = noneRun ? setup : App.leavingOut(skipped, of: setup)
        let (command, broken) = ReproduceOverlay.commandLines(spec.commandLinePhrases, width: width - 4)
        var text = "Reproduces this setup headless (enabled variants only). Add --csv FILE or --json FILE for "
            + "machine-readable rows; `attnscope tui` with the same flags opens it in the dashboard."
        if broken {
            text += " An argument is wider than this box and is broken across lines: join them when copying, or widen the terminal."
        }
        if noneRun, let first = skipped.first {
            text += " No variant can run on this setup, so this command fails as r does: \(first.reason.message)"
        } else if !skipped.isEmpty {
            text += " It leaves out \(skipped.map(\.label).joined(separator: ", ")), which r skips: \(App.skipReason(skipped))"
        }
        let note = Text.wrapped(text, width - 4)
        let inner = Overlay.box("Reproduce · Esc closes", width: width, height: command.count + note.count + 3, in: area, into: &buf, theme: theme)
        for (i, line) in command.enumerated() { buf.put(line, x: inner.x + 1, y: inner.y + i, style: theme.value) }
        for (i, line) in note.enumerated() { buf.put(line, x: inner.x + 1, y: inner.y + command.count + 1 + i, style: theme.muted) }
    }
}

extension ReproduceOverlay {
    /// The command in lines of at most `width` columns that paste into a shell as it is:
    /// lines break between flags, or between a flag and its value (each but the last ends in
    /// ` \`, the rest are indented). Only a word wider than a line is broken inside, without
    /// `\`; `broken` says so.
    static func commandLines(_ phrases: [String], width: Int) -> (lines: [String], broken: Bool) {
        // (text, ends between arguments); continuation lines get "  " in front, " \\" behind.
        var lines: [(text: String, whole: Bool)] = []
        let room = max(1, width - 4)
        for phrase in phrases {
            if let last = lines.last, last.whole, last.text.count + 1 + phrase.count <= room {
                lines[lines.count - 1].text += " " + phrase
                continue
            }
            // Too long for a line: the flag, then its value (a flag never holds a space).
            let words = phrase.count <= room ? [phrase] : phrase.split(separator: " ", maxSplits: 1).map(String.init)
            for word in words {
                let pieces = word.count <= room ? [word] : stride(from: 0, to: word.count, by: room).map {
                    String(word.dropFirst($0).prefix(room))
                }
                lines += pieces.indices.map { (pieces[$0], $0 == pieces.count - 1) }
            }
        }
        let text = lines.indices.map { i in
            (i == 0 ? "" : "  ") + lines[i].text + (i < lines.count - 1 && lines[i].whole ? " \\" : "")
        }
        return (text, lines.contains { !$0.whole })
    }
}

/// A one-line question with a text answer (save name, export path, filter, sweep lengths).
struct PromptOverlay {
    var prompt: Prompt

    func draw(into buf: inout CellBuffer, _ area: Rect, theme: Theme) {
        let width = min(area.width - 4, 90)
        let errorLines = prompt.error.map { Text.wrapped($0, width - 4) } ?? []
        let inner = Overlay.box(prompt.title, width: width, height: 4 + errorLines.count, in: area, into: &buf, theme: theme)
        buf.put(prompt.hint, x: inner.x + 1, y: inner.y, style: theme.muted, maxWidth: inner.width - 2)
        LineEditorView(editor: prompt.editor, error: prompt.error != nil)
            .draw(into: &buf, x: inner.x + 1, y: inner.y + 1, width: inner.width - 2, theme: theme)
        for (i, line) in errorLines.enumerated() { buf.put(line, x: inner.x + 1, y: inner.y + 2 + i, style: theme.error) }
    }
}

/// A list to choose from with ↑/↓ and Enter.
struct PickerOverlay {
    var picker: Picker
    /// A preset's detail starts with its origin in this many columns, then two spaces.
    static let originWidth = 7

    func draw(into buf: inout CellBuffer, _ area: Rect, theme: Theme) {
        let width = min(area.width - 4, 100)
        let height = min(area.height - 2, picker.items.count + 2)
        let inner = Overlay.box(picker.title, width: width, height: height, in: area, into: &buf, theme: theme)
        guard inner.height > 0 else { return }
        let nameWidth = min(28, (picker.items.map(\.name.count).max() ?? 0) + 2)
        let first = max(0, min(picker.cursor - inner.height + 1, picker.items.count - inner.height))
        for (line, i) in (first..<picker.items.count).enumerated() where line < inner.height {
            let y = inner.y + line, selected = i == picker.cursor
            let style = selected ? theme.selected : theme.value
            if selected { buf.fill(inner.row(line), " ", style) }
            buf.put(" " + picker.items[i].name, x: inner.x, y: y, style: style, maxWidth: nameWidth)
            // A preset's detail is its origin and path, cut in the middle so the file name and
            // an "(invalid)" mark stay; a method's summary is cut at the end.
            let room = inner.width - nameWidth - 2, detail = picker.items[i].detail
            let shown = if case .loadPreset = picker.purpose { Text.truncatedMiddle(detail, room, head: PickerOverlay.originWidth + 2) } else { Text.truncated(detail, room) }
            buf.put(shown, x: inner.x + nameWidth + 1, y: y, style: selected ? style : theme.muted)
        }
    }
}

/// Overwrite or not.
struct ConfirmOverlay {
    var confirm: Confirm

    func draw(into buf: inout CellBuffer, _ area: Rect, theme: Theme) {
        let width = min(area.width - 4, 90)
        let lines = Text.wrapped(confirm.question, width - 4)
        let inner = Overlay.box("Confirm", width: width, height: lines.count + 4, in: area, into: &buf, theme: theme)
        for (i, line) in lines.enumerated() { buf.put(line, x: inner.x + 1, y: inner.y + i, style: theme.warning) }
        var x = inner.x + 1
        x += buf.put("y", x: x, y: inner.y + lines.count + 1, style: theme.key)
        x += buf.put(" \(confirm.yes)   ", x: x, y: inner.y + lines.count + 1, style: theme.value)
        x += buf.put("n", x: x, y: inner.y + lines.count + 1, style: theme.key)
        buf.put(" \(confirm.no)", x: x, y: inner.y + lines.count + 1, style: theme.value)
    }
}

/// A variant's form: its label and each key of its method, with the selected key's help.
struct MethodFormOverlay {
    var form: MethodForm
    var variant: Variant

    func draw(into buf: inout CellBuffer, _ area: Rect, theme: Theme) {
        let descriptor = try? MethodRegistry.descriptor(named: variant.spec.method)
        let keys = descriptor?.keys ?? []
        let width = min(area.width - 4, 84)
        let help = form.cursor == 0 ? "Names the row in the table and in CSV/JSON (empty: derived from the values)."
            : keys[form.cursor - 1].help + "." + (keys[form.cursor - 1].choices.map { " Choices (←/→): " + $0.joined(separator: ", ") + "." } ?? "")
        let helpLines = Text.wrapped(help, width - 4)
        let errorLines = form.error.map { Text.wrapped($0, width - 4) } ?? []
        let height = min(area.height, keys.count + 1 + helpLines.count + errorLines.count + 3)
        let inner = Overlay.box("Variant of \(variant.spec.method) · \(descriptor?.summary ?? "")", width: width, height: height,
                                in: area, into: &buf, theme: theme)
        let nameWidth = min(20, max(8, (keys.map(\.name.count).max() ?? 0) + 2))
        let rows: [(String, String, String)] = [("label", variant.spec.label, "")]
            + keys.map { ($0.name, variant.spec.params[$0.name] ?? "", $0.defaultValue) }
        for (i, row) in rows.enumerated() where i < inner.height {
            let y = inner.y + i, selected = i == form.cursor
            let style = selected ? theme.selected : theme.value
            if selected { buf.fill(inner.row(i), " ", style) }
            buf.put(" " + row.0, x: inner.x, y: y, style: selected ? style : theme.label, maxWidth: nameWidth)
            let x = inner.x + nameWidth + 1, w = inner.width - nameWidth - 2
            if selected, let editor = form.editor {
                LineEditorView(editor: editor, error: form.error != nil).draw(into: &buf, x: x, y: y, width: w, theme: theme)
            } else if row.1.isEmpty {
                buf.put("default: \(row.2)", x: x, y: y, style: selected ? style : theme.muted, maxWidth: w)
            } else {
                buf.put(row.1, x: x, y: y, style: style, maxWidth: w)
            }
        }
        var y = inner.y + rows.count + 1
        for line in errorLines where y < inner.maxY { buf.put(line, x: inner.x + 1, y: y, style: theme.error); y += 1 }
        for line in helpLines where y < inner.maxY { buf.put(line, x: inner.x + 1, y: y, style: theme.muted); y += 1 }
    }
}

/// Below 80×24: a centred note that still quits on q.
struct TooSmallScreen {
    func draw(into buf: inout CellBuffer, theme: Theme) {
        // Wrapped, not cut: the sizes are the point, and a 40-column screen cut them off.
        let message = Text.wrapped("terminal too small: need \(AppState.minimumSize.width)×\(AppState.minimumSize.height), have \(buf.width)×\(buf.height)", buf.width)
        let lines = message.map { ($0, theme.warning) } + [("q quits", theme.muted)]
        let top = max(0, buf.height / 2 - 1 - (message.count - 1) / 2)
        for (i, line) in lines.enumerated() {
            buf.put(line.0, x: max(0, (buf.width - line.0.count) / 2), y: top + i, style: line.1, maxWidth: buf.width)
        }
    }
}
