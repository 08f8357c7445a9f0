import Foundation

/// Machine-readable forms of a comparison: CSV (RFC 4180) and JSON `{"spec": …, "rows": […]}`.
public enum ResultWriters {
    /// Column names: the standard ones, then every extra in order of first appearance.
    public static func columns(_ rows: [ResultRow]) -> [String] {
        var cols = ResultRow.standardColumns
        for r in rows { for e in r.extras where !cols.contains(e.name) { cols.append(e.name) } }
        return cols
    }

    /// Header plus one line per row; extra columns a row lacks are empty. `prefix` adds
    /// constant leading columns (e.g. the dashboard's full setup).
    public static func csv(_ rows: [ResultRow], prefix: [(String, String)] = []) -> String {
        let cols = columns(rows)
        var lines = [(prefix.map(\.0) + cols).map(csvQuote).joined(separator: ",")]
        for r in rows {
            let fields = Dictionary(r.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            let cells = prefix.map(\.1) + cols.map { fields[$0].map(csvText) ?? "" }
            lines.append(cells.map(csvQuote).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func csvText(_ v: ResultRow.Value) -> String {
        switch v {
        case .text(let s): s
        case .int(let i): String(i)
        case .number(let x): numberText(x)
        case .bool(let b): b ? "true" : "false"
        case .list(let l): l.joined(separator: ";")
        case .numbers(let xs): xs.map(numberText).joined(separator: ";")
        }
    }

    /// Shortest text that reads back as the same Double; non-finite values as nan/inf. Whole
    /// numbers (counts such as `index_flops` or `segments`, which extras carry as Double) are
    /// written as integers, as the JSON and the table write them: "128", not "128.0".
    static func numberText(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if let n = ReadableNumbers.whole(x) { return String(n) }
        return "\(x)"
    }

    /// A CSV field, quoted (RFC 4180) when it holds a comma, quote or line break.
    public static func csvQuote(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    public static func json(spec: RunSpec, rows: [ResultRow]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let specObject = try JSONSerialization.jsonObject(with: encoder.encode(spec))
        let rowObjects: [[String: Any]] = rows.map { r in
            var o: [String: Any] = [:]
            for (name, v) in r.fields {
                switch v {
                case .text(let s): o[name] = s
                case .int(let i): o[name] = i
                case .number(let x): o[name] = jsonNumber(x)
                case .bool(let b): o[name] = b
                case .list(let l): o[name] = l
                case .numbers(let xs): o[name] = xs.map(jsonNumber)
                }
            }
            o["seed"] = r.seed
            return o
        }
        let data = try JSONSerialization.data(withJSONObject: ["spec": specObject, "rows": rowObjects],
                                              options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// JSON has no NaN or infinity: a number that is not finite is null.
    public static func jsonNumber(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
}
