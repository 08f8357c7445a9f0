import AttentionEngine

/// The four panels Tab cycles through.
public enum Panel: Int, CaseIterable, Sendable {
    case setup, methods, results, heatmap

    var scope: KeyScope? {
        switch self {
        case .setup: .setup
        case .methods: .methods
        case .results: .results
        case .heatmap: nil
        }
    }
}

/// What the heatmap panel shows for the selected variant and head.
public enum HeatmapView: CaseIterable, Sendable {
    /// Share of each cell's mask-allowed (query, key) entries the method computed.
    case coverage
    /// Exact softmax mass per cell from the float64 reference rows, log scale.
    case attention
    /// Exact mass in what the method skipped: attention × (1 − coverage), on the attention scale.
    case missed

    public var title: String {
        switch self {
        case .coverage: "Coverage"
        case .attention: "Attention"
        case .missed: "Missed mass"
        }
    }
}

/// A method variant of the setup, included in runs or left out.
public struct Variant: Equatable, Sendable {
    public var spec: MethodSpec
    public var enabled: Bool
    /// The user typed the label in the form: it stays as typed when the values change, even
    /// if it looks derived (`flash-3`). Labels from a preset are judged by `App.isDerived`.
    public var labelTyped = false
}

/// A comparison or sweep from start to end.
public enum JobPhase: Equatable, Sendable {
    case running, finished, cancelled
    /// With the engine's error, whose kind `--snapshot` turns into its exit code.
    case failed(EngineError)
}

/// One variant's line in the results table.
public struct RowState: Sendable {
    public enum Status: Equatable, Sendable {
        case queued
        case running(Double)
        case done
        case stopped
        /// Left out of the run because the method cannot run on this setup; the reason.
        case skipped(String)

        var isSkipped: Bool { if case .skipped = self { true } else { false } }
    }
    public var label: String
    public var method: String
    public var status: Status
    public var result: ResultRow?
    public var coverage: CoverageMap?
    /// Per head, the share of allowed entries `coverage` says were computed, worked out once
    /// when the result arrives (`CoverageMap.computedShares`), not per frame.
    public var computedShares: [Double]?
    /// When the variant's first (warmup or timed) run began, on the app's clock.
    public var started: Double?

    /// "about 12 min left" while the variant runs (`TimeLeft`).
    func timeLeftText(at now: Double) -> String? {
        guard case .running(let f) = status, let started else { return nil }
        return TimeLeft.text(elapsed: now - started, fraction: f)
    }
}

/// The latest comparison run: its spec and what the engine has reported so far.
public struct RunSession: Sendable {
    public var job: Int
    /// What runs: the setup without the variants that cannot run on it.
    public var spec: RunSpec
    /// The setup as `r` found it, skipped variants included: what the screen's setup is
    /// compared with to tell whether these results are still its own.
    public var requested: RunSpec
    public var stage: String
    public var rows: [RowState]
    /// Exact attention pooled to the grid; arrives with the finished report.
    public var attentionMap: CoverageMap?
    public var phase: JobPhase
    public var started: Double
    public var ended: Double?

    public var results: [ResultRow] { rows.compactMap(\.result) }
    /// Rows the run includes, i.e. all but the skipped ones: the "done k/n" denominator.
    public var included: Int { rows.filter { !$0.status.isSkipped }.count }
    public var skipped: Int { rows.count - included }
}

/// A sweep: the setup rerun at several sequence lengths, one comparison per length.
public struct SweepState: Sendable {
    public var job: Int
    public var spec: RunSpec
    public var seqs: [Int]
    /// Finished rows per sequence length.
    public var rows: [Int: [ResultRow]]
    public var step: Int
    public var fraction: Double
    public var stage: String
    public var phase: JobPhase
}

/// A short message under the panels: saves, exports, errors.
public struct Toast: Equatable, Sendable {
    public var text: String
    public var isError: Bool
    public var expires: Double
}

/// What a text prompt's answer is for.
public enum PromptPurpose: Equatable, Sendable {
    case savePreset, exportCSV, filter, sweepLengths
}

public struct Prompt: Equatable, Sendable {
    public var purpose: PromptPurpose
    public var title: String
    public var hint: String
    public var editor: LineEditor
    public var error: String?
}

/// A list to choose from: presets to load, or methods to add a variant of.
public struct Picker: Sendable {
    public enum Purpose: Sendable {
        case loadPreset([PresetLibrary.Entry])
        case addMethod([String])
    }
    public var purpose: Purpose
    public var title: String
    public var items: [(name: String, detail: String)]
    public var cursor: Int
}

/// A yes/no question before a file is replaced (or a shipped preset hidden).
public struct Confirm: Sendable {
    public enum PendingWrite: Sendable {
        case preset(path: String, spec: RunSpec)
        case csv(path: String, text: String, rows: Int)
    }
    public var question: String
    public var write: PendingWrite
    /// What `y` and `n` do, as the overlay names them.
    public var yes = "overwrite"
    public var no = "keep the file"
}

/// The form that edits one variant: its label, then each of its method's keys.
public struct MethodForm: Equatable, Sendable {
    public var variant: Int
    public var cursor: Int
    public var editor: LineEditor?
    public var error: String?
}

/// Whatever covers the panels and takes the keys.
public enum Modal: Sendable {
    /// `fromSweep`: opened over the sweep page, which closing it returns to.
    case help(fromSweep: Bool)
    /// `skipped`: the variants `r` would leave out, which the command leaves out too.
    case reproduce(skipped: [ComparisonRunner.UnrunnableVariant])
    case sweep
    case prompt(Prompt)
    case picker(Picker)
    case confirm(Confirm)
    case methodForm(MethodForm)
    /// Enter in Results: the selected row's Details over the whole screen, scrolled by `scroll` lines.
    case details(scroll: Int)
}

/// Everything the screen shows. Changed only by `App.handle(_:)`.
public struct AppState: Sendable {
    public var width = 80
    public var height = 24
    public var setup: RunSpec
    public var variants: [Variant]
    public var presetName: String
    public var focus: Panel = .setup
    public var setupCursor = 0
    public var setupEditor: LineEditor?
    public var setupError: String?
    public var methodsCursor = 0
    public var session: RunSession?
    public var sweep: SweepState?
    public var selectedLabel: String?
    /// The column cursor of the results table; read it through `resultsColumn(among:)`, as
    /// a later run may have fewer columns (fewer methods, so fewer extras).
    public var resultsColumn = 1
    public var sort: (column: String, descending: Bool)?
    public var filter = ""
    public var heatmapView: HeatmapView = .coverage
    public var head = 0
    /// Median latencies of every finished run, per variant and setup (`historyKey`), oldest first.
    public var history: [String: [Double]] = [:]
    public var modal: Modal?
    public var toast: Toast?
    public var quitRequested = false

    public static let minimumSize = (width: 80, height: 24)
    public var isTooSmall: Bool { width < AppState.minimumSize.width || height < AppState.minimumSize.height }

    public init(spec: RunSpec, presetName: String? = nil) {
        setup = spec
        variants = spec.methods.map { Variant(spec: $0, enabled: true) }
        self.presetName = presetName ?? spec.name ?? "custom"
    }

    /// The setup with the enabled variants: what `r` runs, `s` saves and `p` prints.
    public var runSpec: RunSpec {
        var s = setup
        s.methods = variants.filter(\.enabled).map(\.spec)
        s.name = presetName
        return s
    }

    /// A label's latencies under another N, head count, workload or key values are another
    /// series, not more of the same: history is kept per variant and the whole setup it ran
    /// on (the command that reproduces that one variant).
    static func historyKey(label: String, in spec: RunSpec) -> String {
        var one = spec
        one.methods = spec.methods.filter { $0.label == label }
        return one.commandLine
    }

    /// The latency history of the shown run's variant `label` on the shown run's setup.
    public func history(of label: String) -> [Double]? {
        session.flatMap { history[AppState.historyKey(label: label, in: $0.spec)] }
    }

    /// Whether the shown results are of the setup on screen (the preset's name aside): after
    /// an edit or a preset load they are not, and `p` or `r` would give other numbers.
    public var showsCurrentSetup: Bool {
        guard var shown = session?.requested else { return true }
        shown.name = runSpec.name
        return shown == runSpec
    }

    public var isBusy: Bool { session?.phase == .running || sweep?.phase == .running }
}
