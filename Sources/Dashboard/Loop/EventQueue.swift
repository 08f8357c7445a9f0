import Synchronization

/// Hands messages from worker threads to the UI thread: workers push, the loop drains
/// between key reads. A Mutex-guarded array, so pushing never blocks on the UI.
public final class EventQueue<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])

    public init() {}

    public func push(_ e: Element) { items.withLock { $0.append(e) } }

    /// Everything pushed so far, oldest first, leaving the queue empty.
    public func drain() -> [Element] {
        items.withLock { q in
            defer { q.removeAll(keepingCapacity: true) }
            return q
        }
    }
}
