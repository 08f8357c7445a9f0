/// What a key asks the app to do.
public enum Action: Hashable, Sendable {
    case quit, help, focusNext, focusPrevious, up, down, left, right, edit, back
    case run, cancel, save, load, export, sweep, cycleView, previousHead, nextHead, filter, reproduce, suspend
    case sort, addVariant, removeVariant, toggleVariant, confirmYes, confirmNo
}

/// Where a binding applies: everywhere, in one focused panel, or while a field or dialog is open.
public enum KeyScope: String, CaseIterable, Sendable {
    case global = "Anywhere"
    case navigation = "Moving"
    case setup = "Setup panel"
    case methods = "Methods panel"
    case results = "Results panel"
    case editing = "Typing into a field"
    case dialog = "Dialogs and lists"
}

/// One row of the keymap: the keys, what they do, where, and how the footer and help say it.
public struct Binding: Sendable {
    public let keys: [Key]
    public let action: Action
    public let scope: KeyScope
    /// One or two words for the footer.
    public let short: String
    /// A sentence for the help overlay and the README.
    public let help: String

    public var keyNames: String { keys.map(\.name).joined(separator: " ") }
}

/// The single table of keys. Dispatch, the footer, the `?` overlay and the README's key list
/// are all generated from it, so they cannot disagree.
public enum Keymap {
    public static let bindings: [Binding] = [
        Binding(keys: [.char("q"), .ctrl("c")], action: .quit, scope: .global, short: "quit",
                help: "Quit, cancelling any running work; the terminal is restored."),
        Binding(keys: [.char("?")], action: .help, scope: .global, short: "help", help: "Show or hide this help."),
        Binding(keys: [.tab], action: .focusNext, scope: .global, short: "next panel", help: "Focus the next panel."),
        Binding(keys: [.backTab], action: .focusPrevious, scope: .global, short: "prev panel", help: "Focus the previous panel."),
        Binding(keys: [.char("r")], action: .run, scope: .global, short: "run",
                help: "Run the enabled variants of the current setup on worker threads (one that cannot run on it is skipped, with the reason)."),
        Binding(keys: [.char("c")], action: .cancel, scope: .global, short: "cancel",
                help: "Cancel the running comparison or sweep (finished rows stay)."),
        Binding(keys: [.char("s")], action: .save, scope: .global, short: "save",
                help: "Save the setup as a user preset (asks for a name; asks before overwriting)."),
        Binding(keys: [.char("l")], action: .load, scope: .global, short: "load",
                help: "Load a shipped or user preset (a malformed one is reported and the setup kept)."),
        Binding(keys: [.char("e")], action: .export, scope: .global, short: "export",
                help: "Export the results table and the full setup as CSV (asks for the path)."),
        Binding(keys: [.char("w")], action: .sweep, scope: .global, short: "sweep",
                help: "Sweep: rerun the setup over sequence lengths and plot latency and FLOPs against N (log–log); on the sweep page, w starts another."),
        Binding(keys: [.char("v")], action: .cycleView, scope: .global, short: "view",
                help: "Cycle the heatmap: coverage, exact attention, missed attention mass."),
        Binding(keys: [.char("[")], action: .previousHead, scope: .global, short: "head-", help: "Heatmap: previous head."),
        Binding(keys: [.char("]")], action: .nextHead, scope: .global, short: "head+", help: "Heatmap: next head."),
        Binding(keys: [.char("/")], action: .filter, scope: .global, short: "filter",
                help: "Filter result rows by label as you type (Enter keeps the filter, Esc clears it)."),
        Binding(keys: [.char("p")], action: .reproduce, scope: .global, short: "command",
                help: "Show the `attnscope run …` command that reproduces the current setup."),
        Binding(keys: [.ctrl("z")], action: .suspend, scope: .global, short: "suspend",
                help: "Suspend to the shell; `fg` resumes."),
        Binding(keys: [.up, .char("k")], action: .up, scope: .navigation, short: "up", help: "Move up in the focused panel."),
        Binding(keys: [.down, .char("j")], action: .down, scope: .navigation, short: "down", help: "Move down in the focused panel."),
        Binding(keys: [.left, .char("h")], action: .left, scope: .navigation, short: "left",
                help: "Setup: previous choice or smaller value. Results: previous column. Heatmap: previous head."),
        Binding(keys: [.right], action: .right, scope: .navigation, short: "right",
                help: "Setup: next choice or larger value. Results: next column. Heatmap: next head. (`l` loads.)"),
        Binding(keys: [.enter], action: .edit, scope: .setup, short: "edit", help: "Type a new value for the field."),
        Binding(keys: [.enter], action: .edit, scope: .methods, short: "edit",
                help: "Edit the variant: its label and the method's keys."),
        Binding(keys: [.char("a")], action: .addVariant, scope: .methods, short: "add",
                help: "Add a variant of any registered method."),
        Binding(keys: [.char("x"), .delete], action: .removeVariant, scope: .methods, short: "remove", help: "Remove the variant."),
        Binding(keys: [.char(" ")], action: .toggleVariant, scope: .methods, short: "on/off",
                help: "Include or leave out the variant in the next run."),
        Binding(keys: [.enter], action: .edit, scope: .results, short: "details",
                help: "The selected row's details, full screen."),
        Binding(keys: [.char("o")], action: .sort, scope: .results, short: "sort",
                help: "Sort by the chosen column: ascending, descending, off."),
        Binding(keys: [.enter], action: .edit, scope: .editing, short: "confirm", help: "Check and apply the value."),
        Binding(keys: [.escape], action: .back, scope: .editing, short: "cancel", help: "Leave the field unchanged."),
        Binding(keys: [.left], action: .left, scope: .editing, short: "cursor", help: "Move the cursor left."),
        Binding(keys: [.right], action: .right, scope: .editing, short: "cursor", help: "Move the cursor right."),
        Binding(keys: [.enter], action: .edit, scope: .dialog, short: "choose", help: "Choose the selected entry."),
        Binding(keys: [.escape, .char("q")], action: .back, scope: .dialog, short: "close", help: "Close the dialog."),
        Binding(keys: [.up, .char("k")], action: .up, scope: .dialog, short: "up", help: "Previous entry."),
        Binding(keys: [.down, .char("j")], action: .down, scope: .dialog, short: "down", help: "Next entry."),
        Binding(keys: [.char("y")], action: .confirmYes, scope: .dialog, short: "yes", help: "Answer yes (overwrite)."),
        Binding(keys: [.char("n")], action: .confirmNo, scope: .dialog, short: "no", help: "Answer no."),
    ]

    /// The action of `key` in the given scopes, the first scope that binds it winning.
    public static func action(for key: Key, in scopes: [KeyScope]) -> Action? {
        for scope in scopes {
            if let b = bindings.first(where: { $0.scope == scope && $0.keys.contains(key) }) { return b.action }
        }
        return nil
    }

    public static func bindings(in scope: KeyScope) -> [Binding] { bindings.filter { $0.scope == scope } }

    /// The README's key list: one Markdown table per scope.
    public static func markdown() -> String {
        var out = ""
        for scope in KeyScope.allCases {
            out += "\n**\(scope.rawValue)**\n\n| Keys | Action |\n|---|---|\n"
            for b in bindings(in: scope) {
                let keys = b.keys.map { "`\($0.name)`" }.joined(separator: " ")
                out += "| \(keys) | \(b.help.replacingOccurrences(of: "|", with: "\\|")) |\n"
            }
        }
        return out
    }
}
