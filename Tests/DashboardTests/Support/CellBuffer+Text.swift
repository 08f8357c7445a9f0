import Dashboard

extension CellBuffer {
    /// Every row's text, one per line, for tests that look for words anywhere on the screen.
    var text: String { (0..<height).map(line).joined(separator: "\n") }
}
