import Foundation

/// Parses JSON into Foundation's object graph ([String: Any], [Any], String, NSNumber,
/// NSNull), as `JSONSerialization.jsonObject` does, but with every number read correctly
/// rounded: swift-corelibs-foundation's `JSONSerialization` reads some decimals as a
/// neighbouring double (1.3658536585365855 as 1.3658536585365852), so a factors file
/// `attnscope rope search` wrote would replay other factors than it scored. `JSONDecoder`
/// reads numbers exactly; this walks its result into the graph `JSONFieldReader` expects.
enum ExactJSON {
    static func parse(_ data: Data) throws -> Any {
        try JSONDecoder().decode(Node.self, from: data).object
    }

    /// Why `data` is not JSON, in a few words: `JSONSerialization` says where (`Invalid
    /// value around character 15.`), `JSONDecoder` does not.
    static func reason(_ error: Error, data: Data) -> String {
        do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            if let why = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String { return why }
        }
        if let e = error as? DecodingError, case .dataCorrupted(let context) = e { return context.debugDescription }
        return error.localizedDescription
    }

    private indirect enum Node: Decodable {
        case null, bool(Bool), number(Double), string(String), array([Node]), object([String: Node])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let x = try? c.decode(Double.self) { self = .number(x) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let a = try? c.decode([Node].self) { self = .array(a) }
            else if let o = try? c.decode([String: Node].self) { self = .object(o) }
            else {
                // Valid JSON that is none of these is a number no double holds (1e400).
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "a number beyond float64's range")
            }
        }

        var object: Any {
            switch self {
            case .null: NSNull()
            case .bool(let b): NSNumber(value: b)
            case .number(let x): NSNumber(value: x)
            case .string(let s): s
            case .array(let a): a.map(\.object)
            case .object(let o): o.mapValues(\.object)
            }
        }
    }
}
