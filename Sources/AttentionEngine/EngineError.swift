/// A failure a person can act on. The kind decides the process exit code (DESIGN.md §2);
/// the message names the offending flag, key, file or field.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Bad usage: unknown flag or key, out-of-range value, contradictory options (exit 64).
        case usage
        /// Bad input data: unreadable or malformed file, wrong shape, NaN/Inf (exit 65).
        case data
        /// A bug or an environment failure the user cannot fix by changing input (exit 70).
        case `internal`
        /// Cancelled by the user (exit 130).
        case cancelled
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func usage(_ message: String) -> EngineError { EngineError(.usage, message) }
    public static func data(_ message: String) -> EngineError { EngineError(.data, message) }
    public static func `internal`(_ message: String) -> EngineError { EngineError(.internal, message) }
    public static let cancelled = EngineError(.cancelled, "cancelled")

    public var exitCode: Int32 {
        switch kind {
        case .usage: 64
        case .data: 65
        case .internal: 70
        case .cancelled: 130
        }
    }

    public var description: String { message }
}
