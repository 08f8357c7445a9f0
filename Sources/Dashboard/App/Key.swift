/// A key press, as the app sees it (backends translate their own codes into these).
public enum Key: Hashable, Sendable {
    /// A printable character.
    case char(Character)
    /// Ctrl plus a letter, as the lowercase letter (Ctrl-C is `.ctrl("c")`).
    case ctrl(Character)
    case up, down, left, right, enter, escape, tab, backTab, backspace, delete, home, end, pageUp, pageDown

    /// How the key is written in the footer, the help overlay and the README.
    public var name: String {
        switch self {
        case .char(" "): "Space"
        case .char(let c): String(c)
        case .ctrl(let c): "Ctrl-" + c.uppercased()
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .enter: "Enter"
        case .escape: "Esc"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .backspace: "Backspace"
        case .delete: "Delete"
        case .home: "Home"
        case .end: "End"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        }
    }
}
