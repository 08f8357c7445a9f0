/// Renders a cell buffer as text with ANSI SGR escape codes (256-colour `38;5;n` / `48;5;n`),
/// one line per row, each line ending with a reset. Used by `attnscope tui --snapshot` and
/// the frame benchmark; `colour: false` gives the bare characters.
public enum ANSIBackend {
    public static func render(_ buffer: CellBuffer, colour: Bool = true) -> String {
        var out = String.UnicodeScalarView()
        out.reserveCapacity(buffer.width * buffer.height * 2)
        for y in 0..<buffer.height {
            var current: Style? = nil
            for x in 0..<buffer.width {
                let cell = buffer[x, y]
                if colour && cell.style != current {
                    out.append(contentsOf: sgr(cell.style).unicodeScalars)
                    current = cell.style
                }
                out.append(cell.symbol)
            }
            if colour { out.append(contentsOf: "\u{1B}[0m".unicodeScalars) }
            out.append("\n")
        }
        return String(out)
    }

    /// The escape sequence that sets exactly `style` (starting from a reset).
    public static func sgr(_ style: Style) -> String {
        var codes = ["0"]
        let attributeCodes: [(TextAttributes, String)] = [(.bold, "1"), (.dim, "2"), (.italic, "3"),
                                                          (.underline, "4"), (.reverse, "7")]
        for (a, code) in attributeCodes where style.attributes.contains(a) { codes.append(code) }
        if case .index(let i) = style.fg { codes.append("38;5;\(i)") }
        if case .index(let i) = style.bg { codes.append("48;5;\(i)") }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }
}
