/// The run-level positional stage: whether Q and K are rotated before attention, with
/// which base and pairing of dimensions. Methods that rescale RoPE (LongRoPE) start from
/// the unrotated content and apply their own.
public struct RopeSettings: Codable, Sendable, Equatable {
    public enum Mode: String, NamedChoice, Sendable { case none, standard }
    /// `half`: dims i and i + d/2 form a pair (Llama, NeoX); `interleaved`: 2i and 2i+1 (GPT-J).
    public enum Style: String, NamedChoice, Sendable { case half, interleaved }

    public var mode: Mode
    public var base: Double
    public var style: Style

    public init(mode: Mode, base: Double = 10_000, style: Style = .half) {
        self.mode = mode
        self.base = base
        self.style = style
    }

    public static let none = RopeSettings(mode: .none)
    public static let standard = RopeSettings(mode: .standard)
}
