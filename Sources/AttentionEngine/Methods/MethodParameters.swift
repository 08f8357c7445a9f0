/// A method's `key=value` settings, as given in a method spec, read through typed accessors
/// that name the key in every error. After reading, `finish()` rejects keys nobody asked for.
public struct MethodParameters: Sendable {
    public let method: String
    private let values: [String: String]
    private var read: Set<String> = ["label"]

    public init(method: String, values: [String: String]) {
        self.method = method
        self.values = values
    }

    public func has(_ key: String) -> Bool { values[key] != nil }

    public mutating func string(_ key: String) -> String? {
        read.insert(key)
        return values[key]
    }

    public mutating func int(_ key: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = string(key) else { return value }
        guard let n = Int(raw) else { throw bad(key, raw, "a whole number") }
        guard range.contains(n) else { throw bad(key, raw, "a whole number in \(range.lowerBound)…\(range.upperBound)") }
        return n
    }

    /// A whole number, or nil when the key is left out or given as `unset`: the word its
    /// default is shown as (`auto`, `N`), so typing the default back in means the default.
    public mutating func optionalInt(_ key: String, range: ClosedRange<Int>, unset word: String? = nil) throws -> Int? {
        guard let raw = string(key), raw != word else { return nil }
        guard let n = Int(raw), range.contains(n) else {
            throw bad(key, raw, (word.map { "\($0) or " } ?? "") + "a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return n
    }

    public mutating func double(_ key: String, default value: Double, range: ClosedRange<Double>) throws -> Double {
        guard let raw = string(key) else { return value }
        guard let x = Double(raw), x.isFinite else { throw bad(key, raw, "a finite number") }
        guard range.contains(x) else { throw bad(key, raw, "a number in \(range.lowerBound)…\(range.upperBound)") }
        return x
    }

    public mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, default value: T) throws -> T where T.RawValue == String {
        guard let raw = string(key) else { return value }
        guard let v = T(rawValue: raw) else {
            throw bad(key, raw, "one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return v
    }

    public mutating func flag(_ key: String, default value: Bool) throws -> Bool {
        guard let raw = string(key) else { return value }
        switch raw.lowercased() {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: throw bad(key, raw, "on or off")
        }
    }

    /// Rejects keys that were given but never read: a typo must not silently fall back to a default.
    public func finish(known: [ParameterKey]) throws {
        if let unknown = values.keys.sorted().first(where: { !read.contains($0) }) {
            let names = known.map(\.name).joined(separator: ", ")
            throw EngineError.usage("method '\(method)': unknown key '\(unknown)'; its keys are \(names), label")
        }
    }

    private func bad(_ key: String, _ raw: String, _ expected: String) -> EngineError {
        .usage("method '\(method)': key '\(key)=\(raw)' must be \(expected)")
    }
}

/// One settable key of a method, for help text, validation messages and the dashboard's form.
public struct ParameterKey: Sendable, Equatable {
    public var name: String
    public var defaultValue: String
    public var help: String
    /// The allowed values when the key is an enumeration (the dashboard cycles them).
    public var choices: [String]?
    /// Whether the value is a file path (a preset reads it relative to the preset's directory).
    public var isFile: Bool

    public init(_ name: String, default defaultValue: String, _ help: String, choices: [String]? = nil, file: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
        self.choices = choices
        self.isFile = file
    }
}
