import ArgumentParser
import AttentionEngine
import Foundation

struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "List shipped and user presets, or show one.",
        subcommands: [List.self, Show.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List presets with where they come from; a preset that could not run is marked invalid.")
        @Option(name: .customLong("presets-dir"), help: "Directory of shipped presets.") var presetsDir: String?
        func run() throws {
            do {
                var invalid: [String] = []
                let library = try PresetLibrary(presetsDirectory: presetsDir)
                let entries = library.all()
                if entries.isEmpty { StandardStreams.error("attnscope: \(library.noneFoundMessage)\n") }
                for p in entries {
                    let ok = (try? PresetFile.loadRunnable(p.path)) != nil
                    if !ok { invalid.append(p.name) }
                    let shadowed = PresetLibrary.isShadowed(p, among: entries) ? "  shadowed by the user preset" : ""
                    StandardStreams.output("\(p.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(p.origin.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(p.path)\(ok ? "" : "  invalid")\(shadowed)\n")
                }
                if let first = invalid.first {
                    StandardStreams.error("attnscope: \(invalid.count) invalid preset(s); `attnscope presets show \(first)` says why\n")
                }
            } catch {
                throw reportedExit(error)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a preset's run spec as JSON; a preset that could not run is an error naming the problem.")
        @Argument(help: "Preset name (or a path to a preset file).") var name: String
        @Option(name: .customLong("presets-dir"), help: "Directory of shipped presets.") var presetsDir: String?
        func run() throws {
            do {
                let path = try PresetLibrary(presetsDirectory: presetsDir).path(of: name)
                let spec = try PresetFile.loadRunnable(path)
                StandardStreams.output(String(decoding: try PresetFile.encode(spec), as: UTF8.self))
            } catch {
                throw reportedExit(error)
            }
        }
    }
}
