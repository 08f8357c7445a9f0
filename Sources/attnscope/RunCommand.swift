import ArgumentParser
import AttentionEngine
import Dispatch
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a comparison headless: print the table, optionally write CSV, JSON, outputs and maps.")

    @OptionGroup var options: RunOptions
    @Option(help: "Write the result rows as CSV to FILE, or - for stdout.") var csv: String?
    @Option(help: "Write {\"spec\": …, \"rows\": […]} as JSON to FILE, or - for stdout.") var json: String?
    @Option(name: .customLong("save-outputs"), help: "Write each variant's output as DIR/<label>.npy.") var saveOutputs: String?
    @Option(name: .customLong("save-maps"),
            help: "Write each variant's coverage map as DIR/<label>.coverage.npy (and DIR/<label>.approximate.npy for entries served approximately, e.g. by Infini's memory), and the exact attention map as DIR/attention.npy.")
    var saveMaps: String?
    @Option(name: .customLong("export-config"), help: "Write the per-head patterns a minference:pattern=auto variant found to FILE (MInference's config format), or - for stdout.") var exportConfig: String?

    func run() throws {
        do {
            let presetPath = try options.presetFile()
            let spec = try options.spec(presetPath: presetPath)
            if saveOutputs != nil, try ComparisonRunner.streams(spec) {
                throw EngineError.usage("--save-outputs is unavailable for this run: it streams (generated workload, every method can stream), "
                    + "so no output is ever held whole; save outputs from a run on --inputs files instead")
            }
            // Check every destination before the run, so a typo does not cost a long run.
            let toStdout = [("--csv", csv), ("--json", json), ("--export-config", exportConfig)].filter { $0.1 == "-" }.map(\.0)
            if toStdout.count > 1 {
                throw EngineError.usage("\(toStdout.joined(separator: " and ")) \(toStdout.count == 2 ? "both" : "all") write to stdout (-): send all but one to a file")
            }
            let files = [("--csv", csv), ("--json", json), ("--export-config", exportConfig)]
                .compactMap { flag, path in path.flatMap { $0 == "-" ? nil : (flag: flag, path: $0) } }
            for f in files { try AtomicFile.checkDestination(f.path) }
            let reads = spec.filesRead + (presetPath.map { [(what: "the preset", path: $0)] } ?? [])
            try OutputDirectory.checkDistinct(files: files, labels: spec.methods.map(\.label), outputs: saveOutputs, maps: saveMaps, reads: reads)
            // Made before the run so one that cannot be is found first; removed again if the
            // run is refused or fails, as nothing is written into them until it is done.
            var made: [String] = []
            let cancellation = CancellationFlag()
            let interrupt = InterruptHandler { cancellation.cancel() }
            defer { interrupt.restore() }
            let progress = ProgressLine(enabled: isatty(STDERR_FILENO) == 1)
            let result: ComparisonReport, matrices: Bool
            do {
                for dir in [saveOutputs, saveMaps].compactMap({ $0 }) { made += try OutputDirectory.create(dir) }
                if exportConfig != nil { try PatternConfig.checkExportable(spec.methods) }
                // Read before the run, as the inputs are: saved outputs keep Q's layout.
                matrices = saveOutputs != nil ? try InputPreparation.outputsAreMatrices(spec) : false
                result = try ComparisonRunner(spec: spec, keepOutputs: saveOutputs != nil)
                    .run(cancellation: cancellation) { progress.show($0) }
            } catch {
                OutputDirectory.remove(made)
                throw error
            }
            progress.clear()
            try write(result, outputsAsMatrices: matrices)
        } catch {
            throw reportedExit(error)
        }
    }

    func write(_ result: ComparisonReport, outputsAsMatrices matrices: Bool) throws {
        let stdoutTaken = [csv, json, exportConfig].contains("-")
        if !stdoutTaken { StandardStreams.output(ResultTable.render(result)) }
        /// `-` is stdout (at most one destination may be); anything else a file, written atomically.
        func emit(_ text: String, to path: String) throws {
            if path == "-" { StandardStreams.output(text) } else { try AtomicFile.write(text, to: path) }
        }
        if let path = csv { try emit(ResultWriters.csv(result.rows), to: path) }
        if let path = json {
            // Its paths made absolute, as a saved preset's are, so the spec runs again as a preset from anywhere.
            let spec = result.spec.resolvingPaths(against: FileManager.default.currentDirectoryPath)
            try emit(ResultWriters.json(spec: spec, rows: result.rows), to: path)
        }
        if let path = exportConfig { try emit(PatternConfig.exportText(rows: result.rows, methods: result.spec.methods), to: path) }
        // The exact attention map the dashboard's heatmap draws; with a variant's coverage it
        // gives the "missed" view too (attention × (1 − coverage), per cell).
        if let dir = saveMaps { try NPYFile.write(result.attentionMap.tensor, to: "\(dir)/attention.npy") }
        for v in result.variants {
            let name = OutputDirectory.fileName(v.row.label)
            if let dir = saveOutputs, let out = v.output {
                try NPYFile.write(out, to: "\(dir)/\(name).npy", squeezeSingleHead: matrices)
            }
            if let dir = saveMaps, let map = v.coverage { try NPYFile.write(map.tensor, to: "\(dir)/\(name).coverage.npy") }
            if let dir = saveMaps, let map = v.approximateCoverage { try NPYFile.write(map.tensor, to: "\(dir)/\(name).approximate.npy") }
        }
    }
}

enum OutputDirectory {
    /// Creates `dir` and any missing parents and checks it can be written; returns the
    /// directories it made, deepest first, for `remove`.
    static func create(_ dir: String) throws -> [String] {
        var missing: [String] = []
        var url = URL(fileURLWithPath: dir).standardizedFileURL
        while url.path != "/", !FileManager.default.fileExists(atPath: url.path) {
            missing.append(url.path)
            url.deleteLastPathComponent()
        }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try AtomicFile.checkWritable(directory: dir, for: dir)
        } catch {
            remove(missing)
            throw (error as? EngineError) ?? .usage("cannot create directory \(dir): \(error.localizedDescription)")
        }
        return missing
    }

    /// Removes directories `create` made, each only if still empty (rmdir), so a run that
    /// ends before writing leaves none behind and never takes anything else with them.
    /// Longest paths first: the maps directory may have been made inside the outputs one.
    static func remove(_ made: [String]) {
        for dir in made.sorted(by: { $0.count > $1.count }) { rmdir(dir) }
    }

    /// Refuses two of a run's files that are one file, before the run rather than one
    /// silently overwriting the other: `--csv`/`--json`/`--export-config` naming one path,
    /// labels that make one file name (`a/b` and `a_b`), a label `attention` whose output
    /// sits beside the attention map, or any output landing on a file the run `reads` (its
    /// inputs, preset, factors or config). Every map a variant may write is counted, as
    /// which ones it writes is known only after the run.
    static func checkDistinct(files: [(flag: String, path: String)], labels: [String], outputs: String?, maps: String?,
                              reads: [(what: String, path: String)]) throws {
        func resolved(_ url: URL) -> String { url.standardizedFileURL.resolvingSymlinksInPath().path }
        let read = Dictionary(reads.map { (resolved(URL(fileURLWithPath: $0.path)), $0.what) }, uniquingKeysWith: { a, _ in a })
        var writer: [String: (what: String, variant: Bool)] = [:]
        func plan(_ dir: String?, _ file: String, _ what: String, variant: Bool) throws {
            guard let dir else { return }
            try AtomicFile.checkName(file, of: what, remedy: variant ? "give the variant a shorter label=NAME" : "give a shorter one")
            let path = resolved(URL(fileURLWithPath: dir).appendingPathComponent(file))
            if let input = read[path] {
                throw EngineError.usage("\(what) would overwrite \(input), \(path), which this run reads: write it elsewhere")
            }
            if let other = writer[path] {
                let remedy = variant || other.variant ? "give the variant another label (label=NAME)" : "give each its own"
                throw EngineError.usage("\(other.what) and \(what) name the same file, \(path): \(remedy)")
            }
            writer[path] = (what, variant)
        }
        for f in files {
            let url = URL(fileURLWithPath: f.path)
            try plan(url.deletingLastPathComponent().path, url.lastPathComponent, f.flag, variant: false)
        }
        try plan(maps, "attention.npy", "the attention map", variant: false)
        for label in labels {
            let name = fileName(label)
            try plan(outputs, name + ".npy", "the output of '\(label)'", variant: true)
            try plan(maps, name + ".coverage.npy", "the coverage map of '\(label)'", variant: true)
            try plan(maps, name + ".approximate.npy", "the approximate-coverage map of '\(label)'", variant: true)
        }
    }

    /// A label as a file name: path separators and control characters become '_'.
    static func fileName(_ label: String) -> String {
        String(label.map { $0 == "/" || $0 == "\\" || $0.isNewline || $0 == "\0" ? "_" : $0 })
    }
}

/// SIGINT and SIGTERM set the cancellation flag instead of killing the process, so the run
/// stops between tiles, nothing is half-written, and the exit code is 130.
final class InterruptHandler {
    private let sources: [DispatchSourceSignal]

    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler(handler: onInterrupt)
            s.resume()
            return s
        }
    }

    func restore() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// One self-overwriting status line on stderr while a run goes (only when stderr is a terminal).
final class ProgressLine: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var lastDraw = 0.0
    /// When the running variant's first run began, for its time left.
    private var variantStart = 0.0

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ event: RunEvent) {
        guard enabled else { return }
        let text: String
        switch event {
        case .stage(let s): text = s
        case .variantStarted(let label):
            lock.withLock { variantStart = Date().timeIntervalSince1970 }
            text = "\(label): starting"
        case .progress(let label, let f):
            let now = Date().timeIntervalSince1970
            lock.lock(); defer { lock.unlock() }
            if now - lastDraw < 0.1 { return }
            lastDraw = now
            let left = TimeLeft.text(elapsed: now - variantStart, fraction: f).map { ", \($0)" } ?? ""
            StandardStreams.error("\r\u{1B}[2K\(label): \(Int(f * 100))%\(left)")
            return
        case .result(let r): text = "\(r.row.label): done"
        }
        lock.lock(); defer { lock.unlock() }
        StandardStreams.error("\r\u{1B}[2K\(text)")
    }

    func clear() {
        if enabled { StandardStreams.error("\r\u{1B}[2K") }
    }
}
