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
