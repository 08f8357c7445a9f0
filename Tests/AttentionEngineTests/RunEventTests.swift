import AttentionEngine
import Synchronization
import TestSupport
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

    /// A variant that cannot run on the setup fails the run before anything is made or any
    /// variant starts, not after the variants listed before it have been timed.
    func testAVariantThatCannotRunFailsBeforeAnyVariantStarts() throws {
        let factors = try temporaryFile("factors.json", "[1, 2, 3]")  // 3 rotary pairs: head dim 6
        for (causal, method, mention) in [(false, "minference", "needs the causal mask"),
                                          (true, "longrope:factors=\(factors)", "head dim 16 needs 8")] {
            var s = RunSpec()
            (s.seq, s.heads, s.kvHeads, s.headDim, s.causal, s.repeat, s.warmup) = (200, 2, 2, 16, causal, 1, 0)
            s.methods = [MethodSpec(method: "dense"), try MethodSpec(parsing: method)]
            let seen = Mutex<[RunEvent]>([])
            XCTAssertThrowsError(try ComparisonRunner(spec: s).run { event in seen.withLock { $0.append(event) } }, method) {
                XCTAssertTrue("\($0)".contains(mention), "\($0)")
            }
            XCTAssertEqual(seen.withLock { $0.count }, 0, "\(method): nothing ran")
        }
    }

    /// The same checks, variant by variant, for the dashboard, which runs the rest: each
    /// variant that cannot run is named with its reason, the others are not, and a fault of
    /// the whole setup is still an error.
    func testVariantsThatCannotRunAreNamedWithTheirReasons() throws {
        let factors = try temporaryFile("factors.json", "[1, 2, 3]")
        var s = RunSpec()
        (s.seq, s.heads, s.kvHeads, s.headDim, s.causal) = (200, 2, 2, 16, false)
        s.methods = [MethodSpec(method: "dense"), try MethodSpec(parsing: "minference:pattern=a-shape,label=sparse"),
                     try MethodSpec(parsing: "longrope:factors=\(factors),label=rescaled"), MethodSpec(method: "flash")]
        let found = try ComparisonRunner(spec: s).variantsThatCannotRun()
        XCTAssertEqual(found.map(\.label), ["sparse", "rescaled"])
        XCTAssertTrue(found[0].reason.message.contains("needs the causal mask"), found[0].reason.message)
        XCTAssertTrue(found[1].reason.message.contains("head dim 16 needs 8"), found[1].reason.message)
        XCTAssertEqual(found.map(\.reason.kind), [.usage, .data])
        s.causal = true
        XCTAssertEqual(try ComparisonRunner(spec: s).variantsThatCannotRun().map(\.label), ["rescaled"])
        s.methods.remove(at: 2)
        XCTAssertTrue(try ComparisonRunner(spec: s).variantsThatCannotRun().isEmpty)
        s.seq = 0
        XCTAssertThrowsError(try ComparisonRunner(spec: s).variantsThatCannotRun()) {
            XCTAssertTrue("\($0)".contains("--seq 0 is out of range"), "\($0)")
        }
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
