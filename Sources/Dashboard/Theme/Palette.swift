/// Perceptual colour scales quantised to the fixed xterm 256-colour palette (tmux and screen
/// cannot redefine colours, DESIGN.md §3), and the shade characters used without colour.
public enum Palette {
    /// Viridis (matplotlib's perceptually uniform map) at t = 0, 0.1, …, 1, as RGB.
    static let viridisAnchors: [(Double, Double, Double)] = [
        (0x44, 0x01, 0x54), (0x48, 0x24, 0x75), (0x41, 0x44, 0x87), (0x35, 0x5F, 0x8D), (0x2A, 0x78, 0x8E),
        (0x21, 0x91, 0x8C), (0x22, 0xA8, 0x84), (0x44, 0xBF, 0x70), (0x7A, 0xD1, 0x51), (0xBD, 0xDF, 0x26),
        (0xFD, 0xE7, 0x25),
    ]

    /// Number of distinct steps a heatmap value is quantised to.
    public static let levels = 16

    /// Viridis sampled at `levels` evenly spaced points, each as its nearest xterm index.
    public static let viridis: [UInt8] = (0..<levels).map { i in
        let t = Double(i) / Double(levels - 1) * Double(viridisAnchors.count - 1)
        let lo = min(Int(t), viridisAnchors.count - 2), f = t - Double(lo)
        let a = viridisAnchors[lo], b = viridisAnchors[lo + 1]
        return xtermIndex(r: a.0 + (b.0 - a.0) * f, g: a.1 + (b.1 - a.1) * f, b: a.2 + (b.2 - a.2) * f)
    }

    /// The quantisation step of a value in [0, 1] (clamped).
    public static func level(_ t: Double) -> Int {
        guard t.isFinite else { return 0 }
        return min(levels - 1, max(0, Int((t * Double(levels)).rounded(.down))))
    }

    /// Shades for monochrome terminals, lightest to darkest ink: space, ░, ▒, ▓, █.
    public static let shades: [Unicode.Scalar] = [" ", "░", "▒", "▓", "█"]

    public static func shade(_ t: Double) -> Unicode.Scalar {
        guard t.isFinite else { return " " }
        return shades[min(shades.count - 1, max(0, Int((t * Double(shades.count)).rounded(.down))))]
    }

    /// The xterm-256 index nearest to an RGB colour (0–255 per channel): the 6×6×6 cube
    /// (indices 16–231, channel levels 0, 95, 135, …, 255) or the grey ramp (232–255).
    public static func xtermIndex(r: Double, g: Double, b: Double) -> UInt8 {
        let cubeLevels: [Double] = [0, 95, 135, 175, 215, 255]
        func nearestLevel(_ v: Double) -> Int {
            cubeLevels.indices.min { abs(cubeLevels[$0] - v) < abs(cubeLevels[$1] - v) }!
        }
        let (ri, gi, bi) = (nearestLevel(r), nearestLevel(g), nearestLevel(b))
        let cube = (cubeLevels[ri], cubeLevels[gi], cubeLevels[bi])
        let grey = min(23, max(0, Int((((r + g + b) / 3) - 8) / 10 + 0.5)))
        let greyValue = Double(8 + 10 * grey)
        func distance(_ c: (Double, Double, Double)) -> Double {
            (c.0 - r) * (c.0 - r) + (c.1 - g) * (c.1 - g) + (c.2 - b) * (c.2 - b)
        }
        return distance(cube) <= distance((greyValue, greyValue, greyValue))
            ? UInt8(16 + 36 * ri + 6 * gi + bi) : UInt8(232 + grey)
    }
}
