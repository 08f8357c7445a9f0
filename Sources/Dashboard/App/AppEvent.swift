import AttentionEngine

/// Everything that can change the app's state, in the order the loop received it.
public enum AppEvent: Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    case engine(EngineMessage)
    /// The clock moved (toasts expire, elapsed times advance).
    case tick
    /// SIGTERM, SIGHUP or SIGINT arrived: quit as if `q` was pressed.
    case terminate
}

/// What a job's worker thread reports. A job is one or more comparisons run one after
/// another (one for `r`, one per sequence length for a sweep); `step` indexes them.
public enum EngineMessage: Sendable {
    case event(job: Int, step: Int, RunEvent)
    case stepFinished(job: Int, step: Int, ComparisonReport)
    case jobEnded(job: Int, JobPhase)
}

/// Starts engine work off the UI thread. The real one runs `ComparisonRunner` on a thread
/// and posts its events to the loop's queue; tests use one that records jobs instead.
public protocol RunLauncher {
    /// Starts running `specs` in order as job `job`; the returned flag cancels it.
    func start(job: Int, specs: [RunSpec]) -> CancellationFlag
}
