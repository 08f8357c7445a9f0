import Foundation

/// Presets: a run spec as JSON, read with errors that name the file, the field and the
/// reason (exit 65), and written atomically.
public enum PresetFile {
    public static func load(_ path: String) throws -> RunSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError.data("preset \(path): \(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")")
        }
        return try decode(data, name: path)
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
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(spec) + Data("\n".utf8)
    }

    public static func save(_ spec: RunSpec, to path: String) throws {
        try AtomicFile.write(encode(spec), to: path)
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
