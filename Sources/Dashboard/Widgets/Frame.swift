/// A bordered box with a title in the top edge (and optionally a note at its right end),
/// drawn in the focus colour when its panel has the keys. Returns the inside.
struct Frame {
    var title: String
    var note: String = ""
    var focused = false

    @discardableResult
    func draw(into buf: inout CellBuffer, _ r: Rect, theme: Theme) -> Rect {
        guard r.width >= 2, r.height >= 2 else { return Rect(x: r.x, y: r.y, width: 0, height: 0) }
        let line = focused ? theme.frameFocused : theme.frame
        buf.fill(r.inset(1))
        for x in r.x + 1..<r.maxX - 1 {
            buf.set(x, r.y, "─", line)
            buf.set(x, r.maxY - 1, "─", line)
        }
        for y in r.y + 1..<r.maxY - 1 {
            buf.set(r.x, y, "│", line)
            buf.set(r.maxX - 1, y, "│", line)
        }
        buf.set(r.x, r.y, "╭", line); buf.set(r.maxX - 1, r.y, "╮", line)
        buf.set(r.x, r.maxY - 1, "╰", line); buf.set(r.maxX - 1, r.maxY - 1, "╯", line)
        let room = r.width - 4
        let shownTitle = Text.truncated(title, room)
        buf.put(" " + shownTitle + " ", x: r.x + 1, y: r.y, style: focused ? theme.titleFocused : theme.title)
        let noteRoom = room - shownTitle.count - 3
        if !note.isEmpty, noteRoom >= 4 {
            let n = Text.truncated(note, noteRoom)
            buf.put(" " + n + " ", x: r.maxX - 3 - n.count, y: r.y, style: theme.muted)
        }
        return r.inset(1)
    }
}

/// Fitting text into columns.
enum Text {
    /// `s` cut to `width` characters, ending in "…" when cut.
    static func truncated(_ s: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        return s.count <= width ? s : String(s.prefix(width - 1)) + "…"
    }

    /// `s` cut to `width` characters in the middle: its first `head` characters, "…", then
    /// as much of its end as fits (for paths, whose file name and marks are at the end).
    static func truncatedMiddle(_ s: String, _ width: Int, head: Int) -> String {
        guard s.count > width else { return s }
        let keepHead = min(head, max(0, width - 2))
        return String(s.prefix(keepHead)) + "…" + String(s.suffix(max(0, width - keepHead - 1)))
    }

    /// Left-aligned in `width` columns (cut if longer).
    static func left(_ s: String, _ width: Int) -> String {
        let t = truncated(s, width)
        return t + String(repeating: " ", count: max(0, width - t.count))
    }

    /// Right-aligned in `width` columns (cut if longer).
    static func right(_ s: String, _ width: Int) -> String {
        let t = truncated(s, width)
        return String(repeating: " ", count: max(0, width - t.count)) + t
    }

    /// Words wrapped to lines of at most `width` characters (long words are cut).
    static func wrapped(_ s: String, _ width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = [], current = ""
        for word in s.split(separator: " ", omittingEmptySubsequences: false) {
            var w = String(word)
            while w.count > width {
                if !current.isEmpty { lines.append(current); current = "" }
                lines.append(String(w.prefix(width)))
                w = String(w.dropFirst(width))
            }
            if current.isEmpty { current = w } else if current.count + 1 + w.count <= width { current += " " + w } else {
                lines.append(current)
                current = w
            }
        }
        lines.append(current)
        return lines
    }

    /// Phrases (a figure with its name or unit: `RMSE 2.75e-06,`, `h2 bs(64)`) in lines of at
    /// most `width` characters, `joiner` between phrases on one line. A line breaks between
    /// phrases, so a number never ends one line while its unit starts the next; only a phrase
    /// longer than a line is broken inside.
    static func wrapped(phrases: [String], joiner: String, _ width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        for phrase in phrases {
            if let last = lines.last, last.count + joiner.count + phrase.count <= width {
                lines[lines.count - 1] = last + joiner + phrase
            } else {
                lines += wrapped(phrase, width)
            }
        }
        return lines.isEmpty ? [""] : lines
    }
}
