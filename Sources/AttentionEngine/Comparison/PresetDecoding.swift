import Foundation

/// Decoding rules that make a preset's mistakes name their field. Foundation's JSONDecoder
/// on Linux reports a number that does not fit an integer (`"seq": 64.5`, `"seed": -1`) as
/// "not valid JSON" at the top level, and a misspelt field (`"head_dims"`) would otherwise be
/// ignored and the run would quietly use the default.
struct PresetKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Throws naming the first field that is not one of `Keys` (they are listed in the message).
    func rejectUnknownFields<Keys: CodingKey & CaseIterable>(_: Keys.Type) throws {
        let known = Keys.allCases.map(\.stringValue)
        let present = try container(keyedBy: PresetKey.self)
        for key in present.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) where !known.contains(key.stringValue) {
            throw DecodingError.dataCorruptedError(forKey: key, in: present,
                debugDescription: "not a known field (known: \(known.joined(separator: ", ")))")
        }
    }
}

extension KeyedDecodingContainer {
    /// An integer field, or nil when absent; a number that is not a whole number in `T`'s
    /// range is reported with its value and this field's path.
    func decodeWholeIfPresent<T: FixedWidthInteger & Decodable>(_: T.Type, forKey key: Key) throws -> T? {
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch {
            guard let number = try? decodeIfPresent(Double.self, forKey: key) else { throw error }
            let reason = number == number.rounded() ? "does not fit in \(T.min)…\(T.max)" : "is not a whole number"
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(number) \(reason)")
        }
    }
}

/// A field that takes one of a few named values (`workload`, `rope`, `rope_style`). A wrong
/// value is reported with the values it may take; Foundation's own message ("Cannot
/// initialize WorkloadKind from invalid String value foo") names a Swift type instead.
public protocol NamedChoice: RawRepresentable, CaseIterable, Codable where RawValue == String {}

extension NamedChoice {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription:
                "\(text.debugDescription) is not one of \(Self.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = value
    }
}
