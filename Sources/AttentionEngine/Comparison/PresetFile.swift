import Foundation

/// Presets: a run spec as JSON, read with errors that name the file, the field and the
/// reason (exit 65), and written atomically. Files a preset names are relative to its own
/// directory (see `RunSpec.resolvingPaths`).
public enum PresetFile {
    public static func load(_ path: String) throws -> RunSpec {
        let data = try FileManager.default.contents(atPath: path, naming: "preset \(path)")
        return try decode(data, name: path).resolvingPaths(against: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    /// A preset as it would run: decoded, then checked as a run checks its spec (ranges,
    /// methods, their keys and files, the headers of its inputs), with the file named in any
    /// error. (`run --preset` checks after its flags are applied instead, as they may mend
    /// the preset.)
    public static func loadRunnable(_ path: String) throws -> RunSpec {
        let spec = try load(path)
        do {
            try spec.validate()
            _ = try InputPreparation.shape(spec)
        } catch let e as EngineError {
            throw EngineError(e.kind, "preset \(path): \(e.message)")
        }
        return spec
    }

    public static func decode(_ data: Data, name: String) throws -> RunSpec {
        do {
            return try JSONDecoder().decode(RunSpec.self, from: data)
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx),
                let DecodingError.dataCorrupted(ctx) {
            throw EngineError.data("preset \(name): field '\(path(ctx.codingPath))': \(reason(ctx))")
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw EngineError.data("preset \(name): field '\(path(ctx.codingPath + [key]))' is missing")
        } catch {
            throw EngineError.data("preset \(name): \(error.localizedDescription)")
        }
    }

    public static func encode(_ spec: RunSpec) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(spec) + Data("\n".utf8)
    }

    /// Writes `spec` with its files' paths made absolute (they were typed relative to the
    /// working directory), so the preset reads back the same from anywhere.
    public static func save(_ spec: RunSpec, to path: String) throws {
        try AtomicFile.write(encode(spec.resolvingPaths(against: FileManager.default.currentDirectoryPath)), to: path)
    }

    static func path(_ keys: [CodingKey]) -> String {
        keys.isEmpty ? "(top level)" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    static func reason(_ ctx: DecodingError.Context) -> String {
        if let underlying = ctx.underlyingError as NSError?, ctx.codingPath.isEmpty {
            return "not valid JSON (\(underlying.userInfo[NSDebugDescriptionErrorKey] ?? underlying.localizedDescription))"
        }
        return ctx.debugDescription
    }
}
