import AttentionEngine
import Foundation

/// Presets and CSV: saving asks for a name and confirmation before overwriting, loading
/// reports a malformed file (file, field, reason) and keeps the setup, exporting writes the
/// results table with the full setup. Every write is atomic.
extension App {
    func askPresetName() {
        state.modal = .prompt(Prompt(purpose: .savePreset, title: "Save preset",
                                     hint: "name, saved in \(presets.userDirectory)",
                                     editor: LineEditor(state.presetName)))
    }

    func savePreset(named raw: String) throws {
        let name = raw.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
            throw EngineError.usage("preset name '\(raw)' must be non-empty, without '/' and not start with '.'")
        }
        var spec = state.runSpec
        spec.name = name
        try spec.validate()
        let path = presets.userDirectory + "/" + name + ".json"
        if FileManager.default.fileExists(atPath: path) {
            state.modal = .confirm(Confirm(question: "\(path) exists. Overwrite it?", write: .preset(path: path, spec: spec)))
        } else if let shipped = presets.all().first(where: { $0.origin == .shipped && $0.name == name }) {
            // A user preset shadows the shipped one of its name everywhere (`l`, `--preset`,
            // and for `quickstart` the start-up setup), so that is asked, not done quietly.
            state.modal = .confirm(Confirm(
                question: "\(name) is a shipped preset (\(shipped.path)). Saving \(path) hides it: `l`, --preset \(name)"
                    + (name == "quickstart" ? " and the start-up setup" : "") + " will use yours. Save it?",
                write: .preset(path: path, spec: spec), yes: "save mine", no: "cancel"))
        } else {
            try writePreset(spec, to: path)
        }
    }

    func writePreset(_ spec: RunSpec, to path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: presets.userDirectory, withIntermediateDirectories: true)
        } catch {
            throw EngineError.usage("cannot create \(presets.userDirectory): \(error.localizedDescription)")
        }
        try PresetFile.save(spec, to: path)
        state.presetName = spec.name ?? state.presetName
        state.modal = nil
        toast("saved preset \(path)")
    }

    func openPresetPicker() {
        let all = presets.all()
        let entries = all.filter { !PresetLibrary.isShadowed($0, among: all) }
        guard !entries.isEmpty else {
            toast(presets.noneFoundMessage, error: true)
            return
        }
        state.modal = .picker(Picker(purpose: .loadPreset(entries), title: "Load preset",
                                     items: entries.map { e in
                                         let invalid = (try? PresetFile.loadRunnable(e.path)) == nil ? "  (invalid)" : ""
                                         return (e.name, Text.left(e.origin.rawValue, PickerOverlay.originWidth) + "  " + e.path + invalid)
                                     }, cursor: 0))
    }

    func loadPreset(_ entry: PresetLibrary.Entry) {
        state.modal = nil
        do {
            let spec = try PresetFile.loadRunnable(entry.path)
            state.setup = spec
            state.variants = spec.methods.map { Variant(spec: $0, enabled: true) }
            state.presetName = spec.name ?? entry.name
            state.methodsCursor = 0
            state.setupEditor = nil
            state.setupError = nil
            toast("loaded \(entry.path)")
        } catch {
            toast("\(message(of: error)); setup unchanged", error: true)
        }
    }

    func askExportPath() {
        guard let session = state.session, !session.results.isEmpty else {
            let why = switch state.session?.phase {
            case nil: "nothing to export yet: r runs the comparison"
            case .running?: "nothing to export yet: no variant has finished"
            case .finished?, .cancelled?, .failed?: "nothing to export: no variant finished (Details says why)"
            }
            toast(why, error: true)
            return
        }
        // The rows are the session's, so the name is the session's, not a preset loaded since.
        let name = (session.spec.name ?? state.presetName).replacingOccurrences(of: "/", with: "_")
        state.modal = .prompt(Prompt(purpose: .exportCSV, title: "Export CSV", hint: "path of the CSV file",
                                     editor: LineEditor("./attnscope-\(name)-\(App.exportStamp(now())).csv")))
    }

    /// `yyyyMMdd-HHmmss` in local time, for default export names.
    static func exportStamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f.string(from: date)
    }

    func exportCSV(to raw: String) throws {
        guard let session = state.session else { return }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw EngineError.usage("give a file path for the CSV") }
        let path = App.expandingHome(trimmed, home: ProcessInfo.processInfo.environment["HOME"])
        // A directory or an unwritable place is refused now, not after "Overwrite it?".
        try AtomicFile.checkDestination(path)
        let rows = session.results
        let text = ResultWriters.csv(rows, prefix: App.setupColumns(session.spec))
        if FileManager.default.fileExists(atPath: path) {
            state.modal = .confirm(Confirm(question: "\(path) exists. Overwrite it?", write: .csv(path: path, text: text, rows: rows.count)))
        } else {
            try writeCSV(text, rows: rows.count, to: path)
        }
    }

    /// `~` and `~/…` from `$HOME`, as a shell expands them (Foundation on Linux reads the
    /// password database instead); `~user/…` is left to Foundation.
    static func expandingHome(_ path: String, home: String?) -> String {
        if let home, !home.isEmpty, path == "~" || path.hasPrefix("~/") { return home + path.dropFirst() }
        return (path as NSString).expandingTildeInPath
    }

    func writeCSV(_ text: String, rows: Int, to path: String) throws {
        try AtomicFile.write(text, to: path)
        state.modal = nil
        toast("exported \(rows) row\(rows == 1 ? "" : "s") to \(path)")
    }

    /// The setup fields a result row does not already carry, as leading CSV columns.
    public static let setupColumnNames = ["preset", "rope", "rope_base", "rope_style", "repeat", "warmup",
                                          "reference_rows_setting", "inputs", "methods"]

    /// `methods` holds the variants as a shell would take them after `--method` (quoted as
    /// the reproduce command quotes them), so a label with a space still splits back.
    static func setupColumns(_ s: RunSpec) -> [(String, String)] {
        let values = [s.name ?? "", s.ropeSettings.mode.rawValue, "\(s.ropeBase)", s.ropeStyle.rawValue, String(s.repeat),
                      String(s.warmup), s.referenceRows.text, s.inputs ?? "",
                      s.methods.map { RunSpec.shellQuoted($0.commandLineForm) }.joined(separator: " ")]
        return Array(zip(setupColumnNames, values))
    }

    func confirmWrite(_ confirm: Confirm) {
        do {
            switch confirm.write {
            case .preset(let path, let spec): try writePreset(spec, to: path)
            case .csv(let path, let text, let rows): try writeCSV(text, rows: rows, to: path)
            }
        } catch {
            state.modal = nil
            toast(message(of: error), error: true)
        }
    }
}
