import AttentionEngine
import Synchronization
import XCTest

/// The runner's events for its long untimed stages: the streamed reference and a variant's
/// preparation (LongRoPE's search) report their progress, so a listener is not left with
/// one unchanging line for minutes.
final class RunEventTests: XCTestCase {
    func events(_ spec: RunSpec) throws -> [RunEvent] {
        let seen = Mutex<[RunEvent]>([])
        _ = try ComparisonRunner(spec: spec).run { event in seen.withLock { $0.append(event) } }
        return seen.withLock { $0 }
    }

    func stages(_ events: [RunEvent]) -> [String] {
        events.compactMap { if case .stage(let s) = $0 { s } else { nil } }
    }

    /// The percentages at the end of the stages that start with `prefix`.
    func percents(_ stages: [String], _ prefix: String) -> [Int] {
        stages.filter { $0.hasPrefix(prefix) && $0.hasSuffix("%") }.compactMap { Int($0.dropLast().split(separator: " ").last!) }
    }

    func testStreamedReferenceReportsItsProgress() throws {
        var s = RunSpec()
        (s.seq, s.heads, s.kvHeads, s.headDim, s.threads, s.repeat, s.warmup) = (20_000, 1, 1, 16, 2, 1, 0)
        s.referenceRows = .count(4)
        s.methods = [try MethodSpec(parsing: "infini:segment=4096")]
        let stages = stages(try events(s))
        let percents = percents(stages, "float64 reference on 4 rows per head, streamed: ")
        // Key segments of 4,096 over 20,000 rows: done after 20%, 40%, 61%, 81% (and 100%, not repeated).
        XCTAssertEqual(percents, [20, 40, 61, 81], "\(stages)")
    }

    func testPreparationProgressArrivesBetweenTheStartAndTheTimedRuns() throws {
        var s = RunSpec()
        (s.seq, s.heads, s.kvHeads, s.headDim, s.rope, s.threads, s.repeat, s.warmup) = (300, 1, 1, 16, .standard, 2, 1, 0)
        s.methods = [try MethodSpec(parsing: "longrope:search=on,original=128,population=4,generations=3,mutations=2,crossovers=2,parents=2,label=searched")]
        let events = try events(s)
        let start = try XCTUnwrap(events.firstIndex { if case .variantStarted = $0 { true } else { false } })
        let firstRun = try XCTUnwrap(events.firstIndex { if case .progress = $0 { true } else { false } })
        let percents = percents(stages(Array(events[start..<firstRun])), "searched: preparing, ")
        XCTAssertFalse(percents.isEmpty, "\(events)")
        XCTAssertEqual(percents, percents.sorted())
        XCTAssertTrue(percents.allSatisfy { (0...100).contains($0) })
    }
}
