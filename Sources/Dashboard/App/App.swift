import AttentionEngine
import Foundation

/// The dashboard's behaviour: takes events (keys, resizes, engine messages, ticks) one at a
/// time and changes `state`. It never touches the terminal and never blocks: engine work
/// goes to the launcher, and file writes are small and atomic. The loop, the snapshot and
/// the tests all drive the app the same way.
public final class App {
    public internal(set) var state: AppState
    let launcher: RunLauncher
    let presets: PresetLibrary
    /// Monotonic seconds, for toasts and elapsed times.
    let clock: () -> Double
    /// Wall-clock time, for default export file names.
    let now: () -> Date
    /// The cancellation flag of the running job, if any.
    var activeJob: (id: Int, flag: CancellationFlag)?
    var nextJob = 1
    /// Set whenever an event changed what the screen shows.
    public var needsRedraw = true

    public static let toastSeconds = 6.0

    public init(state: AppState, launcher: RunLauncher, presets: PresetLibrary,
                clock: @escaping () -> Double, now: @escaping () -> Date = Date.init) {
        self.state = state
        self.launcher = launcher
        self.presets = presets
        self.clock = clock
        self.now = now
    }

    /// True once the user asked to quit; the loop then waits for cancelled work and exits.
    public var wantsExit: Bool { state.quitRequested }

    public func handle(_ event: AppEvent) {
        switch event {
        case .key(let key): handleKey(key); needsRedraw = true
        case .resize(let w, let h):
            state.width = w
            state.height = h
            needsRedraw = true
        case .engine(let message): receive(message); needsRedraw = true
        case .tick:
            if let t = state.toast, t.expires <= clock() { state.toast = nil; needsRedraw = true }
            if state.isBusy { needsRedraw = true }
        case .terminate: quit()
        }
    }

    func handleKey(_ key: Key) {
        if state.isTooSmall {
            if key == .char("q") || key == .ctrl("c") { quit() }
            return
        }
        if key == .ctrl("c") { quit(); return }
        if state.modal != nil { handleModalKey(key); return }
        if state.setupEditor != nil { handleSetupEditKey(key); return }
        let scopes = [state.focus.scope, .navigation, .global].compactMap { $0 }
        guard let action = Keymap.action(for: key, in: scopes) else { return }
        perform(action)
    }

    func perform(_ action: Action) {
        switch action {
        case .quit: quit()
        case .help: state.modal = .help(fromSweep: false)
        case .focusNext: state.focus = Panel(rawValue: (state.focus.rawValue + 1) % Panel.allCases.count)!
        case .focusPrevious:
            state.focus = Panel(rawValue: (state.focus.rawValue + Panel.allCases.count - 1) % Panel.allCases.count)!
        case .up, .down, .left, .right: move(action)
        case .edit: edit()
        case .run: startRun()
        case .cancel: cancelJob()
        case .save: askPresetName()
        case .load: openPresetPicker()
        case .export: askExportPath()
        case .sweep: if state.sweep != nil { state.modal = .sweep } else { askSweepLengths() }
        case .cycleView:
            let all = HeatmapView.allCases
            state.heatmapView = all[(all.firstIndex(of: state.heatmapView)! + 1) % all.count]
        case .previousHead: changeHead(by: -1)
        case .nextHead: changeHead(by: 1)
        case .filter:
            state.modal = .prompt(Prompt(purpose: .filter, title: "Filter rows", hint: "label contains (empty: all rows)",
                                         editor: LineEditor(state.filter)))
        case .reproduce: state.modal = .reproduce(skipped: (try? ComparisonRunner(spec: state.runSpec).variantsThatCannotRun()) ?? [])
        case .suspend: break  // the loop suspends the process; nothing in the state changes
        case .sort: toggleSort()
        case .addVariant: openMethodPicker()
        case .removeVariant: removeVariant()
        case .toggleVariant: toggleVariant()
        case .back, .confirmYes, .confirmNo: break
        }
    }

    func move(_ action: Action) {
        let vertical = action == .up || action == .down
        let delta = action == .up || action == .left ? -1 : 1
        switch state.focus {
        case .setup:
            if vertical {
                state.setupCursor = (state.setupCursor + delta + SetupField.allCases.count) % SetupField.allCases.count
            } else {
                stepSetupField(by: delta)
            }
        case .methods:
            if vertical && !state.variants.isEmpty {
                state.methodsCursor = min(max(0, state.methodsCursor + delta), state.variants.count - 1)
            }
        case .results:
            if vertical {
                moveSelection(by: delta)
            } else {
                let count = ResultColumn.all(for: state.session?.results ?? []).count
                state.resultsColumn = min(max(0, state.resultsColumn(among: count) + delta), count - 1)
            }
        case .heatmap:
            if !vertical { changeHead(by: delta) }
        }
    }

    func edit() {
        switch state.focus {
        case .setup: beginSetupEdit()
        case .methods: openMethodForm()
        case .results: state.modal = .details(scroll: 0)
        case .heatmap: break
        }
    }

    func quit() {
        activeJob?.flag.cancel()
        state.quitRequested = true
    }

    /// Shows a message under the panels for a few seconds.
    func toast(_ text: String, error: Bool = false) {
        state.toast = Toast(text: text, isError: error, expires: clock() + App.toastSeconds * (error ? 2 : 1))
    }

    /// `[`/`]`: through the heads of the data on screen, which with `--inputs` files are the
    /// files' H, not the setup's.
    func changeHead(by delta: Int) {
        let heads = max(1, state.displayedHeads)
        state.head = (state.head + delta + heads) % heads
    }
}
