import Foundation

/// One row of a comparison as written by a person: a method name, its `key=value`
/// settings and a label. On the command line: `NAME[:key=value,key=value...]`; in a preset:
/// `{"method": "flash", "label": "flash-64", "params": {"tile_q": "64"}}`.
public struct MethodSpec: Codable, Sendable, Equatable {
    public var method: String
    public var label: String
    public var params: [String: String]

    public init(method: String, label: String? = nil, params: [String: String] = [:]) {
        self.method = method
        self.params = params
        self.label = label ?? MethodSpec.defaultLabel(method: method, params: params)
    }

    /// Parses `NAME[:key=value,...]`; `label=` names the row.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0]).trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw EngineError.usage("--method '\(text)': missing method name") }
        var params: [String: String] = [:]
        var label: String?
        if parts.count == 2 {
            for pair in parts[1].split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2, !kv[0].isEmpty else {
                    throw EngineError.usage("--method '\(text)': '\(pair)' is not key=value")
                }
                let key = String(kv[0]).trimmingCharacters(in: .whitespaces)
                let value = String(kv[1]).trimmingCharacters(in: .whitespaces)
                guard params[key] == nil, !(key == "label" && label != nil) else {
                    throw EngineError.usage("--method '\(text)': key '\(key)' given twice")
                }
                if key == "label" { label = value } else { params[key] = value }
            }
        }
        self.init(method: name, label: label, params: params)
    }

    /// The command-line form, `NAME:key=value,...,label=...`, keys sorted for stability.
    public var commandLineForm: String {
        var pairs = params.keys.sorted().map { "\($0)=\(params[$0]!)" }
        if label != MethodSpec.defaultLabel(method: method, params: params) { pairs.append("label=\(label)") }
        return pairs.isEmpty ? method : method + ":" + pairs.joined(separator: ",")
    }

    /// `flash`, or `flash-fp8-block` style: the method and its values, sorted by key.
    public static func defaultLabel(method: String, params: [String: String]) -> String {
        ([method] + params.keys.sorted().map { params[$0]! }).joined(separator: "-")
    }

    enum CodingKeys: String, CodingKey { case method, label, params }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let method = try c.decode(String.self, forKey: .method)
        // Parameter values may be written as JSON strings, numbers or booleans.
        var params: [String: String] = [:]
        if c.contains(.params) {
            for (k, v) in try c.decode([String: ScalarValue].self, forKey: .params) { params[k] = v.text }
        }
        self.init(method: method, label: try c.decodeIfPresent(String.self, forKey: .label), params: params)
    }
}

/// A JSON scalar read as the text a person would type after `key=`.
struct ScalarValue: Decodable {
    let text: String
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { text = s }
        else if let b = try? c.decode(Bool.self) { text = b ? "on" : "off" }
        else if let i = try? c.decode(Int.self) { text = String(i) }
        else if let d = try? c.decode(Double.self) { text = String(d) }
        else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a string, number or boolean") }
    }
}
