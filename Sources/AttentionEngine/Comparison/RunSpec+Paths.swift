import Foundation

/// The files a spec names (`inputs`, and method keys marked `ParameterKey.isFile`, such as
/// `factors=` and `config=`), made independent of the working directory: a preset reads
/// them relative to its own directory, so a shipped preset runs from anywhere, and a saved
/// preset writes them absolute, so it reads back from anywhere.
extension RunSpec {
    /// Every file a run of this spec reads, with what it is for errors: the input tensors
    /// and each variant's file keys (an output must never be written over one of them).
    public var filesRead: [(what: String, path: String)] {
        let files = inputs.flatMap { try? InputFiles($0) }.map { $0.paths.map { (what: "an input file", path: $0) } } ?? []
        return files + methods.flatMap { m in
            RunSpec.fileKeys(of: m).compactMap { key in m.params[key].flatMap { $0.isEmpty ? nil : ("\(key)= of '\(m.label)'", $0) } }
        }
    }

    /// This spec with every relative file path taken relative to `directory` instead.
    public func resolvingPaths(against directory: String) -> RunSpec {
        var s = self
        s.inputs = inputs.map { RunSpec.path($0, against: directory) }
        s.methods = methods.map { m in
            var resolved = m
            for key in RunSpec.fileKeys(of: m) {
                if let value = m.params[key] { resolved.params[key] = RunSpec.path(value, against: directory) }
            }
            return resolved
        }
        return s
    }

    /// The names of a variant's keys that hold a file path (none for an unknown method,
    /// which validation reports on its own).
    static func fileKeys(of m: MethodSpec) -> [String] {
        ((try? MethodRegistry.descriptor(named: m.method).keys) ?? []).filter(\.isFile).map(\.name)
    }

    /// `path` if absolute (or empty, for its key's own error), else `directory/path`.
    static func path(_ path: String, against directory: String) -> String {
        guard !path.isEmpty && !path.hasPrefix("/") else { return path }
        let base = URL(fileURLWithPath: directory, isDirectory: true)
        return URL(fileURLWithPath: path, relativeTo: base).standardizedFileURL.path
    }
}
