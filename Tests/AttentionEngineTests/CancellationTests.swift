import AttentionEngine
import Dispatch
import Foundation
import Synchronization
import XCTest

/// A comparison cancelled while `flash` runs stops between key tiles and reports
/// `EngineError.cancelled`. Cancelling from inside the first progress event makes this
/// deterministic: each worker finishes at most the work item it is in (no wall-clock bound,
/// which a descheduled worker on a shared machine would break; the latency is printed).
final class CancellationTests: XCTestCase {
    func testCancellingDuringAFlashRunStopsItWithinATile() throws {
        var spec = RunSpec()
        (spec.seq, spec.heads, spec.kvHeads, spec.headDim, spec.causal) = (16384, 2, 2, 64, false)
        (spec.threads, spec.repeat, spec.warmup, spec.referenceRows) = (2, 1, 0, .count(2))
        spec.methods = [MethodSpec(method: "flash")]
        let flag = CancellationFlag()
        let afterCancel = Mutex<(events: Int, fraction: Double, cancelledAt: UInt64?)>((0, 0, nil))
        var error: Error?
        do {
            _ = try ComparisonRunner(spec: spec).run(cancellation: flag) { event in
                guard case .progress(_, let fraction) = event else { return }
                afterCancel.withLock { state in
                    if state.cancelledAt == nil {
                        // The first progress event: flash is inside its tile loop.
                        state.cancelledAt = DispatchTime.now().uptimeNanoseconds
                        flag.cancel()
                    } else {
                        state.events += 1
                        state.fraction = fraction
                    }
                }
            }
        } catch let e { error = e }
        let end = DispatchTime.now().uptimeNanoseconds
        XCTAssertEqual(error as? EngineError, EngineError.cancelled)
        let (events, fraction, cancelledAt) = afterCancel.withLock { $0 }
        let start = try XCTUnwrap(cancelledAt, "flash never reported progress")
        print("cancel → return latency: \(String(format: "%.2f", Double(end - start) / 1e6)) ms")
        // 2 heads × 16384/128 query tiles = 256 work items: at most one more per worker.
        XCTAssertLessThanOrEqual(events, spec.threads, "work items finished after cancel()")
        XCTAssertLessThan(fraction, 0.05, "progress after cancel()")
    }
}
