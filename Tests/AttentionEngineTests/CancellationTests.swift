import AttentionEngine
import Dispatch
import Foundation
import Synchronization
import XCTest

/// A comparison cancelled while `flash` runs stops between key tiles and reports
/// `EngineError.cancelled`, quickly (issue 2: within 100 ms).
final class CancellationTests: XCTestCase {
    func testCancellingDuringAFlashRunStopsItWithinATile() throws {
        var spec = RunSpec()
        (spec.seq, spec.heads, spec.kvHeads, spec.headDim, spec.causal) = (16384, 2, 2, 64, false)
        (spec.threads, spec.repeat, spec.warmup, spec.referenceRows) = (2, 1, 0, .count(2))
        spec.methods = [MethodSpec(method: "flash")]
        let runner = ComparisonRunner(spec: spec)
        let flag = CancellationFlag()
        let running = DispatchSemaphore(value: 0)
        let signalled = Atomic<Bool>(false)
        let outcome = Mutex<(error: Error?, end: UInt64)?>(nil)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            var error: Error?
            do {
                _ = try runner.run(cancellation: flag) { event in
                    // The first progress event means flash is inside its tile loop.
                    if case .progress = event, !signalled.exchange(true, ordering: .relaxed) { running.signal() }
                }
            } catch let e { error = e }
            outcome.withLock { $0 = (error, DispatchTime.now().uptimeNanoseconds) }
            finished.signal()
        }.start()

        XCTAssertEqual(running.wait(timeout: .now() + 120), .success, "flash never reported progress")
        let cancelledAt = DispatchTime.now().uptimeNanoseconds
        flag.cancel()
        XCTAssertEqual(finished.wait(timeout: .now() + 10), .success, "the run did not return after cancel()")
        let (error, end) = try XCTUnwrap(outcome.withLock { $0 })
        XCTAssertEqual(error as? EngineError, EngineError.cancelled)
        let latencyMs = Double(end - cancelledAt) / 1e6
        print("cancel → return latency: \(String(format: "%.2f", latencyMs)) ms")
        // 100 ms is the requirement; the slack covers a descheduled worker on a shared machine.
        XCTAssertLessThan(latencyMs, 250)
    }
}
