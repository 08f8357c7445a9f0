import Synchronization

/// What a running method may use besides its inputs: worker threads, the run's seed, a
/// progress callback and the cancellation flag it must check between tiles.
public struct RunContext: Sendable {
    public var threads: Int
    public var seed: UInt64
    public var cancellation: CancellationFlag
    /// Reports progress of this run in [0, 1]; cheap enough to call once per tile row.
    public var progress: @Sendable (Double) -> Void

    public init(threads: Int, seed: UInt64 = 0, cancellation: CancellationFlag = CancellationFlag(),
                progress: @escaping @Sendable (Double) -> Void = { _ in }) {
        self.threads = threads
        self.seed = seed
        self.cancellation = cancellation
        self.progress = progress
    }

    @inline(__always)
    public func checkCancelled() throws { try cancellation.checkCancelled() }

    /// Adds a work item's `visited` entries to the run's tally and reports progress as the
    /// tally's share of `allowed` (`FlopCount.allowedEntries`): an exact kernel's items
    /// differ in cost under a causal mask, so a count of items would not follow its time.
    func tallyEntries(_ visited: Int, into entries: borrowing Atomic<Int>, of allowed: Int) {
        progress(Double(entries.add(visited, ordering: .relaxed).newValue) / Double(allowed))
    }
}

/// Set once by whoever wants the work stopped; read by workers between tiles.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    /// Throws `EngineError.cancelled` once `cancel()` was called.
    @inline(__always)
    public func checkCancelled() throws {
        if isCancelled { throw EngineError.cancelled }
    }
}
