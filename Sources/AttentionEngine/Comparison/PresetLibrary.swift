import Foundation

/// Where presets live: shipped ones in `presets/` (beside the executable, in the source tree
/// it was built from, or `--presets-dir`), user ones in `$XDG_CONFIG_HOME/attnscope/presets`
/// (default `~/.config/attnscope/presets`).
public struct PresetLibrary: Sendable {
    public enum Origin: String, Sendable { case shipped, user }
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var origin: Origin
        public var path: String
    }

    public var shippedDirectory: String?
    public var userDirectory: String

    public init(shippedDirectory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.shippedDirectory = shippedDirectory ?? PresetLibrary.findShipped()
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        userDirectory = config + "/attnscope/presets"
    }

    /// The library for a command's `--presets-dir`, which, when given, must be a directory
    /// (a mistyped one would otherwise just list no shipped presets).
    public init(presetsDirectory dir: String?) throws {
        if let dir, !FileManager.default.directoryExists(atPath: dir) {
            throw EngineError.usage("--presets-dir \(dir): no such directory")
        }
        self.init(shippedDirectory: dir)
    }

    /// Shipped presets: `presets/` next to the executable or up to four levels above it
    /// (covers `.build/<config>/attnscope` inside the source tree and `prefix/bin` + `prefix/share/attnscope`).
    static func findShipped() -> String? {
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            for candidate in ["presets", "share/attnscope/presets"] {
                let p = dir.appendingPathComponent(candidate).path
                if FileManager.default.fileExists(atPath: p + "/quickstart.json") { return p }
            }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    public func all() -> [Entry] {
        func list(_ dir: String?, _ origin: Origin) -> [Entry] {
            guard let dir, let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
            return files.filter { $0.hasSuffix(".json") }.sorted().map {
                Entry(name: String($0.dropLast(5)), origin: origin, path: dir + "/" + $0)
            }
        }
        return list(shippedDirectory, .shipped) + list(userDirectory, .user)
    }

    /// Whether a user preset of the same name hides this shipped one (by name it resolves
    /// to the user's, in `--preset`, the dashboard's `l` and at start-up).
    public static func isShadowed(_ entry: Entry, among entries: [Entry]) -> Bool {
        entry.origin == .shipped && entries.contains { $0.origin == .user && $0.name == entry.name }
    }

    /// What to say when `all()` is empty: where presets were looked for.
    public var noneFoundMessage: String {
        "no presets found (shipped: \(shippedDirectory ?? "not found beside the executable; give --presets-dir"); user: \(userDirectory))"
    }

    /// A preset's path by name (user presets shadow shipped ones), or the argument itself if it is a file.
    public func path(of name: String) throws -> String {
        if name.contains("/") || name.hasSuffix(".json") { return name }
        if let e = all().last(where: { $0.name == name }) { return e.path }
        throw EngineError.usage("no preset named '\(name)'; `attnscope presets` lists them")
    }
}
