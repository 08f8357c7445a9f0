import Foundation

/// Reads typed fields out of a parsed JSON object with errors that name the file and the
/// field (`config config.json: field 'rope_scaling.long_factor[3]' is not a number`), all
/// exit code 65. Factor files and model configs share it.
struct JSONFieldReader {
    /// How messages name the file, e.g. `factors phi.json`.
    let source: String

    /// Parses `data` as JSON.
    func parse(_ data: Data) throws -> Any {
        do { return try ExactJSON.parse(data) } catch {
            throw EngineError.data("\(source): not valid JSON (\(ExactJSON.reason(error, data: data)))")
        }
    }

    func fail(_ field: String, _ reason: String) -> EngineError {
        .data("\(source): field '\(field)' \(reason)")
    }

    /// A JSON number (not a string, not a boolean), or nil when the value is absent or null.
    func number(_ value: Any?, field: String) throws -> Double? {
        guard let value, !(value is NSNull) else { return nil }
        if let n = value as? NSNumber, !JSONFieldReader.isBoolean(n) {
            let x = n.doubleValue
            guard x.isFinite else { throw fail(field, "is not a finite number") }
            return x
        }
        throw fail(field, "is not a number (\(JSONFieldReader.describe(value)))")
    }

    func integer(_ value: Any?, field: String, range: ClosedRange<Int>) throws -> Int? {
        guard let x = try number(value, field: field) else { return nil }
        guard x == x.rounded(), let n = Int(exactly: x), range.contains(n) else {
            throw fail(field, "= \(JSONFieldReader.describe(value!)) must be a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return n
    }

    func boolean(_ value: Any?, field: String) throws -> Bool? {
        guard let value, !(value is NSNull) else { return nil }
        if let n = value as? NSNumber, JSONFieldReader.isBoolean(n) { return n.boolValue }
        throw fail(field, "is not true or false (\(JSONFieldReader.describe(value)))")
    }

    func string(_ value: Any?, field: String) throws -> String? {
        guard let value, !(value is NSNull) else { return nil }
        guard let s = value as? String else { throw fail(field, "is not a string (\(JSONFieldReader.describe(value)))") }
        return s
    }

    /// A list of positive finite numbers (rescale factors).
    func positiveList(_ value: Any?, field: String) throws -> [Double]? {
        guard let value, !(value is NSNull) else { return nil }
        guard let list = value as? [Any] else { throw fail(field, "is not a list of numbers (\(JSONFieldReader.describe(value)))") }
        guard !list.isEmpty else { throw fail(field, "is an empty list") }
        return try list.enumerated().map { i, item in
            let name = "\(field)[\(i)]"
            guard let x = try number(item, field: name) else { throw fail(name, "is null, not a number") }
            guard x > 0 else { throw fail(name, "= \(x) must be positive (a rescale factor divides the frequency)") }
            return x
        }
    }

    /// A warning when a factor list decreases somewhere: LongRoPE's search keeps factors
    /// non-decreasing from fast to slow pairs, but other lists are legal.
    func monotonicityWarning(_ list: [Double], field: String) -> String? {
        guard let i = (1..<max(list.count, 1)).first(where: { list[$0] < list[$0 - 1] }) else { return nil }
        return "\(source): field '\(field)' decreases at index \(i) (\(list[i - 1]) → \(list[i])); LongRoPE's search keeps factors non-decreasing"
    }

    static func isBoolean(_ n: NSNumber) -> Bool {
        #if canImport(Darwin)
        return CFGetTypeID(n) == CFBooleanGetTypeID()
        #else
        // swift-corelibs-foundation parses true/false into its private __NSCFBoolean subclass.
        return String(describing: type(of: n)).contains("Boolean")
        #endif
    }

    static func describe(_ value: Any) -> String {
        if let s = value as? String { return "\"\(s)\"" }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) {
            let text = String(decoding: data, as: UTF8.self)
            return text.count > 40 ? String(text.prefix(40)) + "…" : text
        }
        return String(describing: value)
    }
}
