import ArgumentParser
import AttentionEngine
import Dashboard
import Foundation

@main
struct AttnScope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attnscope",
        abstract: "Compare long-context attention methods side by side on the same inputs.",
        discussion: """
            With no subcommand in a terminal, opens the dashboard. Headless: `attnscope run`.
            Exit codes: 0 ok, 64 bad usage, 65 bad input data, 70 internal error, 130 interrupted.
            """,
        subcommands: [RunCommand.self, TUICommand.self, PresetsCommand.self, RopeCommand.self, StructureCommand.self, BenchCommand.self])

    /// No subcommand: the dashboard if stdin and stdout are a known terminal; otherwise one
    /// line on stderr, nothing on stdout, exit 64.
    mutating func run() throws {
        if let problem = Dashboard.terminalProblem() {
            StandardStreams.error("attnscope: \(TUICommand.noTerminalMessage(problem))\n")
            throw ExitCode(64)
        }
        try TUICommand.parse([]).run()
    }
}

/// Prints an engine error the way every subcommand does and turns it into its exit code.
func reportedExit(_ error: Error) -> ExitCode {
    if let e = error as? EngineError {
        StandardStreams.error("attnscope: \(e.kind == .cancelled ? "interrupted" : "error: " + e.message)\n")
        return ExitCode(e.exitCode)
    }
    StandardStreams.error("attnscope: internal error: \(error)\n")
    return ExitCode(70)
}
