import AttentionEngine

/// The Methods panel: variants are added from the method registry, removed, switched on and
/// off, and edited in a small form of the method's keys (each value checked by building the
/// method, as a run would).
extension App {
    func openMethodPicker() {
        let methods = MethodRegistry.all
        state.modal = .picker(Picker(purpose: .addMethod(methods.map(\.name)), title: "Add a variant of which method?",
                                     items: methods.map { ($0.name, $0.summary) }, cursor: 0))
    }

    func addVariant(method: String) {
        var spec = MethodSpec(method: method)
        spec.label = uniqueLabel(spec.label, excluding: nil)
        state.variants.append(Variant(spec: spec, enabled: true))
        state.methodsCursor = state.variants.count - 1
        state.focus = .methods
        openMethodForm()
    }

    func removeVariant() {
        guard state.variants.indices.contains(state.methodsCursor) else { return }
        let removed = state.variants.remove(at: state.methodsCursor)
        state.methodsCursor = max(0, min(state.methodsCursor, state.variants.count - 1))
        toast("removed \(removed.spec.label)")
    }

    func toggleVariant() {
        guard state.variants.indices.contains(state.methodsCursor) else { return }
        state.variants[state.methodsCursor].enabled.toggle()
    }

    func openMethodForm() {
        guard state.variants.indices.contains(state.methodsCursor) else { return }
        state.modal = .methodForm(MethodForm(variant: state.methodsCursor, cursor: 0))
    }

    /// The keys of a variant's method (empty if the method is unknown).
    func keys(of variant: Variant) -> [ParameterKey] {
        (try? MethodRegistry.descriptor(named: variant.spec.method))?.keys ?? []
    }

    func handleMethodFormKey(_ key: Key, _ form: MethodForm) {
        var form = form
        let variant = state.variants[form.variant]
        let keys = keys(of: variant)
        if var editor = form.editor {
            switch Keymap.action(for: key, in: [.editing]) {
            case .edit?:
                let value = editor.string.trimmingCharacters(in: .whitespaces)
                do {
                    try setFormRow(form.cursor, to: value.isEmpty ? nil : value, variant: form.variant, keys: keys)
                    form.editor = nil
                    form.error = nil
                } catch {
                    form.error = message(of: error)
                }
            case .back?:
                form.editor = nil
                form.error = nil
            default:
                _ = editor.handle(key)
                form.editor = editor
            }
            state.modal = .methodForm(form)
            return
        }
        let rowKey: ParameterKey? = form.cursor == 0 ? nil : keys[form.cursor - 1]
        let action = Keymap.action(for: key, in: [.dialog, .navigation])
        switch action {
        case .up?: form.cursor = max(0, form.cursor - 1)
        case .down?: form.cursor = min(keys.count, form.cursor + 1)
        case .left?, .right?:
            if let k = rowKey, let choices = k.choices {
                form.error = cycle(k, choices, variant: form.variant, keys: keys, by: action == .left ? -1 : 1)
            }
        case .edit?:
            if let k = rowKey, let choices = k.choices {
                form.error = cycle(k, choices, variant: form.variant, keys: keys, by: 1)
            } else {
                form.editor = LineEditor(form.cursor == 0 ? variant.spec.label : variant.spec.params[rowKey!.name] ?? "")
                form.error = nil
            }
        case .back?:
            state.modal = nil
            return
        default: break
        }
        state.modal = .methodForm(form)
    }

    /// Moves an enumeration key to its next or previous choice; returns an error message if refused.
    func cycle(_ key: ParameterKey, _ choices: [String], variant: Int, keys: [ParameterKey], by step: Int) -> String? {
        let current = state.variants[variant].spec.params[key.name] ?? key.defaultValue
        let i = choices.firstIndex(of: current) ?? 0
        let next = choices[(i + step + choices.count) % choices.count]
        do {
            try setFormRow(keys.firstIndex(of: key)! + 1, to: next == key.defaultValue ? nil : next, variant: variant, keys: keys)
            return nil
        } catch {
            return message(of: error)
        }
    }

    /// Sets the label (row 0) or a key (nil: back to its default), keeping a label that was
    /// derived from the values in step with them. Throws, changing nothing, if the method
    /// rejects the value or the label is taken.
    func setFormRow(_ row: Int, to value: String?, variant: Int, keys: [ParameterKey]) throws {
        var spec = state.variants[variant].spec
        var typed = state.variants[variant].labelTyped
        if row == 0 {
            // Enter on the label unchanged keeps it as it was, derived or typed.
            if value != spec.label { typed = value != nil }
            spec.label = value ?? MethodSpec.defaultLabel(method: spec.method, params: spec.params)
        } else {
            let derived = !typed && App.isDerived(spec.label, from: MethodSpec.defaultLabel(method: spec.method, params: spec.params))
            spec.params[keys[row - 1].name] = value
            if derived { spec.label = uniqueLabel(MethodSpec.defaultLabel(method: spec.method, params: spec.params), excluding: variant) }
        }
        _ = try MethodRegistry.make(spec)
        if state.variants.indices.contains(where: { $0 != variant && state.variants[$0].spec.label == spec.label }) {
            throw EngineError.usage("another variant is already labelled '\(spec.label)'")
        }
        state.variants[variant].spec = spec
        state.variants[variant].labelTyped = typed
    }

    /// Whether `label` is `base` as `uniqueLabel` made it, `base` or `base-2`, `base-3`, …
    /// (a second flash is `flash-2`): such a label follows the values, a typed one stays.
    static func isDerived(_ label: String, from base: String) -> Bool {
        guard label != base else { return true }
        guard label.hasPrefix(base + "-"), let n = Int(label.dropFirst(base.count + 1)) else { return false }
        return n >= 2
    }

    /// `base`, or `base-2`, `base-3`, … if another variant has that label.
    func uniqueLabel(_ base: String, excluding: Int?) -> String {
        let taken = Set(state.variants.indices.filter { $0 != excluding }.map { state.variants[$0].spec.label })
        if !taken.contains(base) { return base }
        var n = 2
        while taken.contains("\(base)-\(n)") { n += 1 }
        return "\(base)-\(n)"
    }
}
