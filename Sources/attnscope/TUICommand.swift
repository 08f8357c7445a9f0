import ArgumentParser
import AttentionEngine
import Dashboard
import Foundation

/// `attnscope tui`: the dashboard, or its headless snapshot, frame benchmark and key list.
struct TUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Open the dashboard (set up runs, watch them live, read results and heatmaps).",
        discussion: """
            Opens on --preset (default: quickstart); the setup flags of `attnscope run` override it, so `attnscope tui` with the flags of a `run` command (or of the dashboard's `p` view) opens that setup. Keys: press ? in the dashboard. NO_COLOR=1 switches to monochrome.
            """)

    @OptionGroup var setup: RunOptions
    @Option(name: .customLong("presets-dir"), help: "Directory of shipped presets.") var presetsDir: String?
    @Option(help: ArgumentHelp("Run the setup to completion without a terminal and print the final frame as ANSI text.",
                               valueName: "WxH"))
    var snapshot: String?
    @Option(name: .customLong("bench-frame"), help: ArgumentHelp("Time whole-frame renders at this size after running the setup.",
                                                                 valueName: "WxH"))
    var benchFrame: String?
    @Flag(name: .customLong("print-keys"), help: "Print the key list (Markdown, generated from the keymap) and exit.")
    var printKeys = false

    func run() throws {
        do {
            if printKeys { StandardStreams.output(Keymap.markdown()); return }
            let presets = try PresetLibrary(presetsDirectory: presetsDir)
            let spec = try setup.spec(presets: presets, fallbackPreset: Dashboard.openingPreset(presets))
            if let size = snapshot {
                let (w, h) = try TUICommand.parseSize(size, flag: "--snapshot")
                StandardStreams.output(try Dashboard.snapshot(spec: spec, width: w, height: h, presets: presets, colour: !Dashboard.noColour()))
                return
            }
            if let size = benchFrame {
                let (w, h) = try TUICommand.parseSize(size, flag: "--bench-frame")
                StandardStreams.output(try FrameBenchmark.run(spec: spec, width: w, height: h, presets: presets))
                return
            }
            if let problem = Dashboard.terminalProblem() {
                throw EngineError.usage(TUICommand.noTerminalMessage(problem))
            }
            try Dashboard.run(spec: spec, presets: presets)
        } catch {
            throw reportedExit(error)
        }
    }

    /// `120x40` → (120, 40); sizes from the dashboard's minimum, 80×24, to 1000×500.
    static func parseSize(_ text: String, flag: String) throws -> (Int, Int) {
        let parts = text.lowercased().split(separator: "x")
        let least = AppState.minimumSize
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), (least.width...1000).contains(w),
              (least.height...500).contains(h) else {
            throw EngineError.usage("\(flag) '\(text)' must be WIDTHxHEIGHT, e.g. 120x40 (\(least.width)…1000 × \(least.height)…500: the dashboard needs at least \(least.width)×\(least.height))")
        }
        return (w, h)
    }

    /// The one line printed when there is no usable terminal.
    static func noTerminalMessage(_ problem: String) -> String {
        "the dashboard needs a terminal (\(problem)); run `attnscope run --help` for headless comparisons, or `attnscope --help`"
    }
}
