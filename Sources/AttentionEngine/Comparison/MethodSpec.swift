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

    /// Parses `NAME[:key=value,...]`; `label=` names the row. A value that holds a comma
    /// (a label, `objective=command:…`) is written in double quotes, `key="a,b"`, with `""`
    /// for a quote inside them (as in a CSV field); quotes anywhere else are literal.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0]).trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw EngineError.usage("--method '\(text)': missing method name") }
        var params: [String: String] = [:]
        var label: String?
        if parts.count == 2 {
            for (key, value) in try MethodSpec.pairs(parts[1], in: text) {
                guard params[key] == nil, !(key == "label" && label != nil) else {
                    throw EngineError.usage("--method '\(text)': key '\(key)' given twice")
                }
                if key == "label" { label = value } else { params[key] = value }
            }
        }
        self.init(method: name, label: label, params: params)
    }

    /// The `key=value` pairs of `list` (the part after `NAME:`), keys and unquoted values
    /// trimmed of spaces, empty pieces (`a=1,,b=2`) skipped; `text` (the whole spec) is what
    /// errors quote.
    static func pairs(_ list: Substring, in text: String) throws -> [(String, String)] {
        func notPair(_ s: Substring) -> EngineError { .usage("--method '\(text)': '\(s.prefix { $0 != "," })' is not key=value") }
        var pairs: [(String, String)] = []
        var rest = list
        while let first = rest.first {
            if first == "," { rest = rest.dropFirst(); continue }
            guard let eq = rest.firstIndex(of: "="), !rest[..<eq].contains(",") else { throw notPair(rest) }
            let key = rest[..<eq].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw notPair(rest) }
            let afterEq = rest[rest.index(after: eq)...]
            let value: String
            if afterEq.drop(while: \.isWhitespace).first == "\"" {
                (value, rest) = try quoted(afterEq.drop(while: \.isWhitespace).dropFirst(), key: key, text: text)
            } else {
                let end = afterEq.firstIndex(of: ",") ?? afterEq.endIndex
                value = afterEq[..<end].trimmingCharacters(in: .whitespaces)
                guard !value.isEmpty else { throw notPair(rest) }
                rest = afterEq[end...]
            }
            pairs.append((key, value))
        }
        return pairs
    }

    /// A quoted value from just after its opening quote to the closing one (`""` inside is one
    /// quote), and what follows it, which must be nothing or the next pair's comma.
    static func quoted(_ s: Substring, key: String, text: String) throws -> (String, Substring) {
        var value = "", rest = s
        while true {
            guard let q = rest.firstIndex(of: "\"") else {
                throw EngineError.usage("--method '\(text)': the quoted value of '\(key)' has no closing quote")
            }
            value += rest[..<q]
            rest = rest[rest.index(after: q)...]
            guard rest.first == "\"" else { break }
            value += "\""
            rest = rest.dropFirst()
        }
        rest = rest.drop(while: \.isWhitespace)
        guard rest.isEmpty || rest.first == "," else {
            throw EngineError.usage("--method '\(text)': '\(rest.prefix { $0 != "," })' follows the quoted value of '\(key)' (a comma must separate pairs)")
        }
        return (value, rest)
    }

    /// The command-line form, `NAME:key=value,...,label=...`, keys sorted for stability;
    /// values that would not parse back as they are (empty, commas, quotes, edge spaces) are quoted.
    public var commandLineForm: String {
        func field(_ v: String) -> String {
            let plain = !v.isEmpty && !v.contains(",") && !v.contains("\"") && v == v.trimmingCharacters(in: .whitespaces)
            return plain ? v : "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var pairs = params.keys.sorted().map { "\($0)=\(field(params[$0]!))" }
        if label != MethodSpec.defaultLabel(method: method, params: params) { pairs.append("label=\(field(label))") }
        return pairs.isEmpty ? method : method + ":" + pairs.joined(separator: ",")
    }

    /// `flash`, or `flash-fp8-block` style: the method and its values, sorted by key.
    public static func defaultLabel(method: String, params: [String: String]) -> String {
        ([method] + params.keys.sorted().map { params[$0]! }).joined(separator: "-")
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case method, label, params }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownFields(CodingKeys.self)
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
