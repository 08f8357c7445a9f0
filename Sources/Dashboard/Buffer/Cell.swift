/// A terminal colour: the terminal's own default, or an index into the 256-colour palette
/// (0–15 the ANSI colours, 16–231 the 6×6×6 cube, 232–255 the grey ramp).
public enum Color: Hashable, Sendable {
    case standard
    case index(UInt8)
}

/// Text attributes a cell may carry; every backend maps them to its own codes.
public struct TextAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = TextAttributes(rawValue: 1)
    public static let dim = TextAttributes(rawValue: 2)
    public static let reverse = TextAttributes(rawValue: 4)
    public static let underline = TextAttributes(rawValue: 8)
    public static let italic = TextAttributes(rawValue: 16)
}

/// Foreground, background and attributes: how a cell is drawn.
public struct Style: Hashable, Sendable {
    public var fg: Color
    public var bg: Color
    public var attributes: TextAttributes

    public init(fg: Color = .standard, bg: Color = .standard, _ attributes: TextAttributes = []) {
        self.fg = fg
        self.bg = bg
        self.attributes = attributes
    }

    public static let plain = Style()

    public func with(fg: Color) -> Style { var s = self; s.fg = fg; return s }
    public func with(bg: Color) -> Style { var s = self; s.bg = bg; return s }
    public func adding(_ a: TextAttributes) -> Style { var s = self; s.attributes.formUnion(a); return s }
}

/// One character position of the screen. Every symbol the dashboard draws is one column wide
/// (box drawing, blocks, braille, Latin text); wider ones are replaced when written.
public struct Cell: Hashable, Sendable {
    public var symbol: Unicode.Scalar
    public var style: Style

    public init(_ symbol: Unicode.Scalar = " ", _ style: Style = .plain) {
        self.symbol = symbol
        self.style = style
    }

    public static let blank = Cell()
}
