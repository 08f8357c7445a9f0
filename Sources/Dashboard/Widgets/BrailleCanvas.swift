/// A drawing surface of braille dots: each cell holds 2×4 dots (U+2800 + dot bits), so a
/// w×h cell area draws 2w×4h points. Each cell takes the colour of the last series that
/// drew in it.
struct BrailleCanvas {
    let width: Int
    let height: Int
    private var bits: [UInt8]
    private var series: [Int]

    /// Bit of dot (column, row) within a cell, per the Unicode braille layout.
    static let dotBits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        bits = Array(repeating: 0, count: self.width * self.height)
        series = Array(repeating: -1, count: self.width * self.height)
    }

    var dotsWide: Int { width * 2 }
    var dotsHigh: Int { height * 4 }

    /// Sets one dot; (0, 0) is the top-left dot.
    mutating func dot(_ x: Int, _ y: Int, series s: Int) {
        guard x >= 0, y >= 0, x < dotsWide, y < dotsHigh else { return }
        let i = (y / 4) * width + x / 2
        bits[i] |= BrailleCanvas.dotBits[x % 2][y % 4]
        series[i] = s
    }

    /// A straight line of dots between two points (Bresenham).
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, series s: Int) {
        var (x, y) = (x0, y0)
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            dot(x, y, series: s)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    func draw(into buf: inout CellBuffer, x: Int, y: Int, theme: Theme) {
        for cy in 0..<height {
            for cx in 0..<width {
                let i = cy * width + cx
                guard bits[i] != 0 else { continue }
                buf.set(x + cx, y + cy, Unicode.Scalar(0x2800 + UInt32(bits[i]))!, theme.seriesStyle(series[i]))
            }
        }
    }
}
