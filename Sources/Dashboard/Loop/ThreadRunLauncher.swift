import AttentionEngine
import Foundation
import Synchronization

/// Runs each job's comparisons on a background thread with `ComparisonRunner` and posts
/// every runner event, finished report and the job's end to a queue the UI loop drains.
/// The runner itself spreads each variant over `spec.threads` workers.
public final class ThreadRunLauncher: RunLauncher, Sendable {
    private let queue: EventQueue<EngineMessage>
    private let running = Atomic<Int>(0)

    public init(queue: EventQueue<EngineMessage>) { self.queue = queue }

    /// Jobs whose thread has not finished yet.
    public var activeJobs: Int { running.load(ordering: .acquiring) }

    public func start(job: Int, specs: [RunSpec]) -> CancellationFlag {
        let flag = CancellationFlag()
        let queue = self.queue
        running.add(1, ordering: .acquiringAndReleasing)
        let thread = Thread { [self] in
            queue.push(.jobEnded(job: job, ThreadRunLauncher.run(job: job, specs: specs, flag: flag, queue: queue)))
            running.subtract(1, ordering: .acquiringAndReleasing)
        }
        thread.name = "attnscope-job-\(job)"
        thread.stackSize = 8 << 20
        thread.start()
        return flag
    }

    /// Runs the comparisons in order; the phase says how the job ended.
    static func run(job: Int, specs: [RunSpec], flag: CancellationFlag, queue: EventQueue<EngineMessage>) -> JobPhase {
        for (step, spec) in specs.enumerated() {
            do {
                let report = try ComparisonRunner(spec: spec).run(cancellation: flag) { event in
                    queue.push(.event(job: job, step: step, event))
                }
                queue.push(.stepFinished(job: job, step: step, report))
            } catch let e as EngineError where e.kind == .cancelled {
                return .cancelled
            } catch let e as EngineError {
                return .failed(e)
            } catch {
                return .failed(.internal("\(error)"))
            }
        }
        return flag.isCancelled ? .cancelled : .finished
    }

    /// Waits up to `seconds` for running jobs to stop (after cancelling them).
    public func waitUntilIdle(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while activeJobs > 0 && Date() < deadline { usleep(10_000) }
    }
}
