/// A one-line text field: the text and a cursor, edited by keys.
public struct LineEditor: Equatable, Sendable {
    public private(set) var text: [Character]
    public private(set) var cursor: Int

    public init(_ text: String) {
        self.text = Array(text)
        cursor = self.text.count
    }

    public var string: String { String(text) }

    /// Applies an editing key; returns false if the key is not an editing key.
    public mutating func handle(_ key: Key) -> Bool {
        switch key {
        case .char(let c): text.insert(c, at: cursor); cursor += 1
        case .backspace: if cursor > 0 { cursor -= 1; text.remove(at: cursor) }
        case .delete: if cursor < text.count { text.remove(at: cursor) }
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(text.count, cursor + 1)
        case .home, .ctrl("a"): cursor = 0
        case .end, .ctrl("e"): cursor = text.count
        case .ctrl("u"): text.removeAll(); cursor = 0
        default: return false
        }
        return true
    }
}
