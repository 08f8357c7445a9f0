/// One ASCII character for each character the dashboard draws, for a terminal whose locale
/// is not UTF-8 (`TerminalCharset.ascii`). Cells keep their colours, so a heatmap cell (▀:
/// upper grid row in the foreground, lower in the background) becomes a space that shows
/// the lower row's colour.
enum AsciiGlyphs {
    static func fallback(_ s: Unicode.Scalar) -> Unicode.Scalar {
        if s.isASCII { return s }
        if let mapped = table[s] { return mapped }
        switch s.value {
        case 0x2500...0x257F: return boxDrawing(s)
        case 0x2800...0x28FF: return braille(dots: s.value - 0x2800)
        default:
            // Accented letters lose their accents (é → e); anything else is unknown.
            let base = String(s).decomposedStringWithCanonicalMapping.unicodeScalars.first
            return base.flatMap { $0.isASCII ? $0 : nil } ?? "?"
        }
    }

    private static let table: [Unicode.Scalar: Unicode.Scalar] = [
        // Punctuation and symbols in text.
        "·": ".", "…": ".", "×": "x", "−": "-", "–": "-", "—": "-", "‖": "|", "≤": "<", "≥": ">",
        "→": ">", "←": "<", "↑": "^", "↓": "v", "›": ">", "‹": "<", "⟨": "<", "⟩": ">",
        "²": "2", "₀": "0", "₁": "1", "₂": "2", "∞": "~", "√": "v", "Σ": "E", "ℓ": "l",
        // Status marks, and the spinner's four phases as a turning bar.
        "✓": "+", "✗": "x", "●": "*", "■": "#", "◐": "|", "◓": "/", "◑": "-", "◒": "\\",
        // Blocks: heatmap half blocks, monochrome shades, sparkline heights, bar fills.
        "▀": " ", "░": ".", "▒": ":", "▓": "*", "█": "#",
        "▁": "_", "▂": "_", "▃": ".", "▄": "-", "▅": "-", "▆": "=", "▇": "#",
        "▏": "|", "▎": "|", "▍": "|", "▌": "|", "▋": "|", "▊": "|", "▉": "|",
    ]

    /// Lines by direction: horizontal ones become -, vertical ones |, corners and joins +.
    private static func boxDrawing(_ s: Unicode.Scalar) -> Unicode.Scalar {
        horizontal.contains(s) ? "-" : vertical.contains(s) ? "|" : "+"
    }
    private static let horizontal: Set<Unicode.Scalar> = ["─", "━", "┄", "┅", "┈", "┉", "╌", "╍", "═", "╴", "╶", "╸", "╺", "╼", "╾"]
    private static let vertical: Set<Unicode.Scalar> = ["│", "┃", "┆", "┇", "┊", "┋", "╎", "╏", "║", "╵", "╷", "╹", "╻", "╽", "╿"]

    /// A braille cell (2×4 dots, one bit each) by where its dots are: upper half only ',
    /// lower half only ., both :.
    private static func braille(dots: UInt32) -> Unicode.Scalar {
        let upper = dots & 0x1B != 0, lower = dots & 0xE4 != 0  // dots 1,2,4,5 and 3,6,7,8
        switch (upper, lower) {
        case (false, false): return " "
        case (true, false): return "'"
        case (false, true): return "."
        case (true, true): return ":"
        }
    }
}
