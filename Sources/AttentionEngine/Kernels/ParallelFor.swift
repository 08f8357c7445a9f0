import Dispatch
import Synchronization

/// Runs `count` independent work items on `threads` workers. Workers take the next item
/// from a shared counter, so uneven items (causal rows near the end cost more) balance
/// themselves. Items are handed out in index order: put the most expensive first.
public enum ParallelFor {
    public static func run(count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        let workers = max(1, min(threads, count))
        if workers == 1 {
            for i in 0..<count { body(i) }
            return
        }
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.add(1, ordering: .relaxed).oldValue
                if i >= count { break }
                body(i)
            }
        }
    }
}

/// An unsafe pointer handed to worker threads. Workers must write disjoint ranges; the
/// type only records that promise so the compiler lets the pointer cross threads.
public struct SharedPointer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

/// A read-only pointer shared by worker threads.
public struct SharedReadPointer<T>: @unchecked Sendable {
    public let base: UnsafePointer<T>
    public init(_ base: UnsafePointer<T>) { self.base = base }
}

/// Per-item results written from worker threads into preallocated slots, each slot by
/// exactly one worker, read after all workers finished.
final class ResultSlots<T: Sendable>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<T?>
    let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: nil, count: max(count, 1))
    }

    deinit {
        slots.deinitialize(count: max(count, 1))
        slots.deallocate()
    }

    /// Each index must be written by one worker only.
    func set(_ i: Int, _ value: T) { slots[i] = value }
    func get(_ i: Int) -> T? { slots[i] }
    /// All slots, once every one was set.
    var values: [T] { (0..<count).map { slots[$0]! } }
}
