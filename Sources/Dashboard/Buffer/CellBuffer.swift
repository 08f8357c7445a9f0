/// The screen as values: a grid of cells that widgets draw into and backends flush.
/// Widgets never talk to a terminal; the same buffer is shown by ncurses, printed as ANSI
/// text by `--snapshot`, and compared with expected frames by the tests.
public struct CellBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { if x >= 0, y >= 0, x < width, y < height { cells[y * width + x] = newValue } }
    }

    /// Sets one cell if it lies inside both the buffer and `clip`.
    @inline(__always)
    public mutating func set(_ x: Int, _ y: Int, _ symbol: Unicode.Scalar, _ style: Style, clip: Rect? = nil) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        if let c = clip, x < c.x || y < c.y || x >= c.maxX || y >= c.maxY { return }
        cells[y * width + x] = Cell(symbol, style)
    }

    /// Writes `text` from (x, y) to the right, in at most `maxWidth` cells; returns the
    /// number of cells written. Text that does not fit ends in "…" in its last cell, so a
    /// cut value (`original=102…`) is never read as a whole one. Control and zero-width
    /// characters are dropped and wide ones replaced, so every scalar takes one column.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style, maxWidth: Int = .max) -> Int {
        guard maxWidth > 0 else { return 0 }
        var shown = text.unicodeScalars.lazy.compactMap(CellBuffer.displayable).makeIterator()
        var col = 0
        var next = shown.next()
        while let s = next {
            next = shown.next()
            let last = col == maxWidth - 1
            set(x + col, y, last && next != nil ? "…" : s, style)
            col += 1
            if last { break }
        }
        return col
    }

    /// Fills a rectangle with one symbol and style.
    public mutating func fill(_ r: Rect, _ symbol: Unicode.Scalar = " ", _ style: Style = .plain) {
        for yy in max(0, r.y)..<min(height, r.maxY) {
            for xx in max(0, r.x)..<min(width, r.maxX) { cells[yy * width + xx] = Cell(symbol, style) }
        }
    }

    /// The text of one row, without styles (trailing spaces kept).
    public func line(_ y: Int) -> String {
        var s = String.UnicodeScalarView()
        for x in 0..<width { s.append(cells[y * width + x].symbol) }
        return String(s)
    }

    /// How a scalar is shown in one column: nil for control and zero-width scalars, "?" for
    /// the East Asian wide and emoji ranges (which would take two columns).
    static func displayable(_ s: Unicode.Scalar) -> Unicode.Scalar? {
        let v = s.value
        if v >= 0x20 && v < 0x7F { return s }
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return nil }
        switch s.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return nil
        default: break
        }
        return wideRanges.contains { $0.contains(v) } ? "?" : s
    }

    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
        0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD,
    ]
}
