import Dashboard

/// A cell buffer written as reviewable text, for expected frames in tests: the characters,
/// then the same grid with one letter per style, then the legend of letters. The plain style
/// (terminal defaults, no attributes) is always `.`.
///
///     ┌ Setup ─┐          text
///     --- styles
///     aaaaaaaaaa          one letter per cell
///     --- legend
///     a fg=244            each letter's colours (palette indices) and attributes
enum TextFrame {
    static func render(_ buffer: CellBuffer) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var assigned: [Style: Character] = [.plain: "."]
        var order: [Style] = []
        var text: [String] = [], styles: [String] = []
        for y in 0..<buffer.height {
            text.append(buffer.line(y))
            var row = ""
            for x in 0..<buffer.width {
                let style = buffer[x, y].style
                if assigned[style] == nil {
                    assigned[style] = order.count < letters.count ? letters[order.count] : "#"
                    order.append(style)
                }
                row.append(assigned[style]!)
            }
            styles.append(row)
        }
        let legend = order.map { "\(assigned[$0]!) \(describe($0))" }
        return (text + ["--- styles"] + styles + ["--- legend"] + legend).joined(separator: "\n") + "\n"
    }

    /// `fg=39 bg=236 bold reverse`; the terminal default colour is left out.
    static func describe(_ s: Style) -> String {
        var parts: [String] = []
        if case .index(let i) = s.fg { parts.append("fg=\(i)") }
        if case .index(let i) = s.bg { parts.append("bg=\(i)") }
        let names: [(TextAttributes, String)] = [(.bold, "bold"), (.dim, "dim"), (.italic, "italic"),
                                                 (.underline, "underline"), (.reverse, "reverse")]
        for (a, name) in names where s.attributes.contains(a) { parts.append(name) }
        return parts.isEmpty ? "plain" : parts.joined(separator: " ")
    }
}
