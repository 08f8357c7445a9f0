import AttentionEngine

/// Keys while a dialog covers the panels: help, the reproduce command, the sweep page,
/// text prompts, lists to pick from, overwrite questions and the variant form.
extension App {
    func handleModalKey(_ key: Key) {
        guard let modal = state.modal else { return }
        let action = Keymap.action(for: key, in: [.dialog])
        switch modal {
        case .help(let fromSweep):
            if action == .back || Keymap.action(for: key, in: [.global]) == .help || action == .edit { state.modal = fromSweep ? .sweep : nil }
        case .reproduce:
            if action == .back || Keymap.action(for: key, in: [.global]) == .reproduce || action == .edit { state.modal = nil }
        case .sweep:
            switch action ?? Keymap.action(for: key, in: [.global]) {
            case .back?: state.modal = nil
            case .sweep?: askSweepLengths()
            case .cancel?: cancelJob()
            case .help?: state.modal = .help(fromSweep: true)
            default: break
            }
        case .prompt(let prompt): handlePromptKey(key, prompt)
        case .picker(var picker):
            switch Keymap.action(for: key, in: [.dialog]) {
            case .up?: picker.cursor = max(0, picker.cursor - 1); state.modal = .picker(picker)
            case .down?: picker.cursor = min(picker.items.count - 1, picker.cursor + 1); state.modal = .picker(picker)
            case .back?: state.modal = nil
            case .edit?:
                switch picker.purpose {
                case .loadPreset(let entries): loadPreset(entries[picker.cursor])
                case .addMethod(let names): state.modal = nil; addVariant(method: names[picker.cursor])
                }
            default: break
            }
        case .confirm(let confirm):
            switch action {
            case .confirmYes?: confirmWrite(confirm)
            case .confirmNo?, .back?: state.modal = nil; toast("nothing written")
            default: break
            }
        case .methodForm(let form): handleMethodFormKey(key, form)
        case .details(let scroll):
            switch action {
            case .up?: state.modal = .details(scroll: max(0, scroll - 1))
            case .down?: state.modal = .details(scroll: min(DetailsPanel.maxScroll(state, now: clock()), scroll + 1))
            case .back?, .edit?: state.modal = nil
            default: break
            }
        }
    }

    func askSweepLengths() {
        guard activeJob == nil else { toast("a job is already running; c cancels it", error: true); return }
        // Files fix N; a sweep would rerun the same inputs and plot them against Ns never used.
        if let dir = state.runSpec.inputs {
            toast("a sweep varies N of generated inputs; the Q/K/V from \(dir) have a fixed N", error: true)
            return
        }
        state.modal = .prompt(Prompt(purpose: .sweepLengths, title: "Sweep sequence lengths",
                                     hint: "e.g. 1024,2048,4096 or 1024..16384 (doubling)",
                                     editor: LineEditor(defaultSweepLengths())))
    }

    func handlePromptKey(_ key: Key, _ prompt: Prompt) {
        var prompt = prompt
        switch Keymap.action(for: key, in: [.editing]) {
        case .edit?:
            do {
                try submit(prompt)
            } catch {
                prompt.error = message(of: error)
                state.modal = .prompt(prompt)
            }
        case .back?:
            if prompt.purpose == .filter { state.filter = "" }
            state.modal = nil
        default:
            _ = prompt.editor.handle(key)
            prompt.error = nil
            if prompt.purpose == .filter { state.filter = prompt.editor.string }
            state.modal = .prompt(prompt)
        }
    }

    /// Acts on a prompt's answer; each action closes the prompt or opens the next dialog.
    func submit(_ prompt: Prompt) throws {
        let text = prompt.editor.string
        switch prompt.purpose {
        case .filter: state.filter = text; state.modal = nil
        case .savePreset: try savePreset(named: text)
        case .exportCSV: try exportCSV(to: text)
        case .sweepLengths: try startSweep(try App.parseSweepLengths(text))
        }
    }
}
