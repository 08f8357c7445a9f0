import AttentionEngine
import CNcursesw
import Foundation

/// The dashboard's entry points for the executable: the interactive loop, the headless
/// snapshot and the frame benchmark.
public enum Dashboard {
    /// Why the dashboard cannot start here, or nil if it can: stdin and stdout must be
    /// terminals (else `getch` never waits) and TERM must name a terminal with cursor control.
    public static func terminalProblem(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { return "stdin and stdout are not both terminals" }
        let term = environment["TERM"] ?? ""
        if term.isEmpty { return "TERM is not set" }
        if term == "dumb" { return "TERM=dumb has no cursor control" }
        if attnscope_terminfo_known(term) == 0 { return "TERM=\(term) is unknown to terminfo" }
        return nil
    }

    /// Whether the environment asks for no colour (`NO_COLOR` set and non-empty).
    public static func noColour(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        !(environment["NO_COLOR"] ?? "").isEmpty
    }

    /// The preset the dashboard opens with when none is named: the shipped quickstart, or
    /// nil (the run spec's defaults) when the shipped presets are not installed.
    public static func openingPreset(_ presets: PresetLibrary) -> String? {
        presets.all().contains { $0.name == "quickstart" } ? "quickstart" : nil
    }

    /// Runs the interactive dashboard until the user quits. Throws `EngineError.cancelled`
    /// (exit 130) when SIGTERM, SIGHUP or SIGINT ended it.
    public static func run(spec: RunSpec, presets: PresetLibrary) throws {
        let terminal = try NcursesTerminal(noColour: noColour())
        defer { terminal.close() }
        let queue = EventQueue<EngineMessage>()
        let launcher = ThreadRunLauncher(queue: queue)
        let clock = MonotonicClock()
        let app = App(state: AppState(spec: spec), launcher: launcher, presets: presets, clock: clock.seconds)
        let theme = terminal.colour ? Theme.colour : Theme.monochrome
        if let notice = terminal.charset.notice { app.toast(notice) }
        var size = terminal.size
        app.handle(.resize(width: size.width, height: size.height))
        var buffer = CellBuffer(width: size.width, height: size.height)
        var interrupted = false
        while true {
            if TerminalGuard.takePendingSignal() != nil { interrupted = true; app.handle(.terminate) }
            for message in queue.drain() { app.handle(.engine(message)) }
            app.handle(.tick)
            if app.wantsExit { break }
            if app.needsRedraw {
                Screen.draw(app.state, theme: theme, now: clock.seconds(), into: &buffer)
                terminal.flush(buffer)
                app.needsRedraw = false
            }
            switch terminal.read(timeout: app.state.isBusy ? 50 : 500) {
            case .resize?:
                size = terminal.size
                buffer = CellBuffer(width: size.width, height: size.height)
                app.handle(.resize(width: size.width, height: size.height))
            case .key(.ctrl("z"))?:
                terminal.suspend()
                app.needsRedraw = true
            case .key(let key)?: app.handle(.key(key))
            case nil: break
            }
        }
        launcher.waitUntilIdle(seconds: 5)
        if interrupted { throw EngineError.cancelled }
    }

    /// Runs the setup to completion without a terminal and returns the final frame as ANSI
    /// text (for documentation and bug reports). Throws if the setup is invalid or the run fails.
    public static func snapshot(spec: RunSpec, width: Int, height: Int, presets: PresetLibrary, colour: Bool) throws -> String {
        let app = try finishedApp(spec: spec, width: width, height: height, presets: presets)
        let buffer = Screen.render(app.state, theme: colour ? .colour : .monochrome, now: 0)
        return ANSIBackend.render(buffer)
    }

    /// An app that has run `spec` to the end through the real launcher, as after pressing `r`.
    static func finishedApp(spec: RunSpec, width: Int, height: Int, presets: PresetLibrary) throws -> App {
        try spec.validate()
        let queue = EventQueue<EngineMessage>()
        let clock = MonotonicClock()
        let app = App(state: AppState(spec: spec), launcher: ThreadRunLauncher(queue: queue), presets: presets,
                      clock: clock.seconds)
        app.handle(.resize(width: width, height: height))
        app.handle(.key(.char("r")))
        // `r` refuses a setup none of whose variants can run, with the reason on the message line.
        guard app.state.session != nil else { throw EngineError.usage(app.state.toast?.text ?? "the run did not start") }
        repeat {
            usleep(10_000)
            for message in queue.drain() { app.handle(.engine(message)) }
        } while app.state.isBusy
        if case .failed(let error)? = app.state.session?.phase { throw error }
        return app
    }
}

/// Seconds since an arbitrary start, never going backwards.
struct MonotonicClock: Sendable {
    let start = DispatchTime.now().uptimeNanoseconds
    func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}
