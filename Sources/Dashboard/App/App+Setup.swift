import AttentionEngine

/// The Setup panel: fields are typed into (Enter) or stepped and cycled (←/→); every change
/// is checked field by field and against the whole spec before it is applied.
extension App {
    var currentField: SetupField { SetupField.allCases[state.setupCursor] }

    func beginSetupEdit() {
        let field = currentField
        if field.isChoice { stepSetupField(by: 1); return }
        if let message = readOnlyReason(field) { state.setupError = message; toast(message, error: true); return }
        state.setupEditor = LineEditor(field.editText(state.setup))
        state.setupError = nil
    }

    func handleSetupEditKey(_ key: Key) {
        switch Keymap.action(for: key, in: [.editing]) {
        case .edit?:
            guard let editor = state.setupEditor else { return }
            do {
                state.setup = try checked(currentField.applying(editor.string, to: state.setup))
                state.setupEditor = nil
                state.setupError = nil
            } catch {
                state.setupError = message(of: error)
            }
        case .back?:
            state.setupEditor = nil
            state.setupError = nil
        default:
            _ = state.setupEditor?.handle(key)
        }
    }

    /// ←/→ on a field: the next choice, or a step of the number.
    func stepSetupField(by direction: Int) {
        let field = currentField
        if let message = readOnlyReason(field) { toast(message, error: true); return }
        do {
            state.setup = try checked(field.stepped(state.setup, by: direction))
            state.setupError = nil
        } catch {
            state.setupError = message(of: error)
            toast(message(of: error), error: true)
        }
    }

    /// The spec's own range and cross-field rules (e.g. H a multiple of G). The variants are
    /// checked when they are edited, so one stands in here: a setup edit is judged on its own
    /// even while every variant is switched off.
    func checked(_ spec: RunSpec) throws -> RunSpec {
        var s = spec
        s.methods = [MethodSpec(method: MethodRegistry.all[0].name)]
        try s.validate()
        return spec
    }

    func readOnlyReason(_ field: SetupField) -> String? {
        guard field.isShape, let dir = state.setup.inputs else { return nil }
        return "\(field.label) comes from the input files in \(dir)"
    }

    func message(of error: Error) -> String {
        (error as? EngineError)?.message ?? "\(error)"
    }
}
