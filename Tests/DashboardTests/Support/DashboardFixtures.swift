import Foundation
import TestSupport
import XCTest
@testable import AttentionEngine
@testable import Dashboard

/// A launcher that only records what it was asked to run; tests then feed the app the
/// engine messages a real run would post.
final class RecordingLauncher: RunLauncher {
    var jobs: [(job: Int, specs: [RunSpec], flag: CancellationFlag)] = []

    func start(job: Int, specs: [RunSpec]) -> CancellationFlag {
        let flag = CancellationFlag()
        jobs.append((job, specs, flag))
        return flag
    }
}

/// A clock the test moves by hand.
final class ManualClock {
    var now = 100.0
    func seconds() -> Double { now }
}

enum Fixtures {
    /// A small setup with two variants, the same in every test.
    static var spec: RunSpec {
        var s = RunSpec()
        s.name = "fixture"
        s.seq = 4096
        s.heads = 4
        s.kvHeads = 2
        s.headDim = 128
        s.threads = 2
        s.methods = [MethodSpec(method: "dense"), MethodSpec(method: "flash", label: "flash-64", params: ["tile_q": "64"])]
        return s
    }

    static func app(spec: RunSpec = Fixtures.spec, width: Int = 80, height: Int = 24,
                    presets: PresetLibrary = PresetLibrary(shippedDirectory: "/nonexistent", environment: ["HOME": "/nonexistent"]))
        -> (App, RecordingLauncher, ManualClock) {
        let launcher = RecordingLauncher()
        let clock = ManualClock()
        let app = App(state: AppState(spec: spec), launcher: launcher, presets: presets, clock: clock.seconds,
                      now: { Date(timeIntervalSince1970: 1_750_000_000) })
        app.handle(.resize(width: width, height: height))
        return (app, launcher, clock)
    }

    /// A finished row with fixed numbers (as the runner would report them).
    static func row(_ label: String, method: String, latency: Double, flops: Int, rmse: Double, recall: Double = 1,
                    extras: [ResultExtra] = []) -> ResultRow {
        ResultRow(label: label, method: method, seq: 4096, heads: 4, kvHeads: 2, headDim: 128, causal: true,
                  workload: "random", seed: 1, latencyMs: latency, latencyMsMin: latency * 0.97, flops: flops,
                  denseFlops: 4 * 128 * 4 * 4096 * 4097 / 2, rmse: rmse, maxAbsErr: rmse * 14, relL2Err: rmse * 9,
                  referenceRows: 4096, recall: recall, memoryBytes: 264_192, threads: 2, extras: extras)
    }

    /// A causal coverage map on a small grid: everything computed up to the diagonal,
    /// except a band the method skipped in the middle keys (so sparse views have contrast).
    static func coverage(heads: Int = 4, grid: Int = 16, skipped: Range<Int>? = nil) -> CoverageMap {
        var values = [Float](repeating: .nan, count: heads * grid * grid)
        for h in 0..<heads { for r in 0..<grid { for c in 0...r {
            values[(h * grid + r) * grid + c] = skipped?.contains(c) == true && c < r - 1 ? 0 : 1
        } } }
        return CoverageMap(heads: heads, seq: 4096, grid: grid, values: values)
    }

    /// Exact-attention-like mass: per query row, most mass on the first key cell and the
    /// diagonal, the rest spread evenly; each row sums to 1.
    static func attention(heads: Int = 4, grid: Int = 16) -> CoverageMap {
        var values = [Float](repeating: .nan, count: heads * grid * grid)
        for h in 0..<heads { for r in 0..<grid {
            var row = [Double](repeating: 0, count: grid)
            for c in 0...r { row[c] = 0.02 }
            row[0] += 0.4; row[r] += 0.3
            let total = row.reduce(0, +)
            for c in 0..<grid { values[(h * grid + r) * grid + c] = Float(row[c] / total) }
        } }
        return CoverageMap(heads: heads, seq: 4096, grid: grid, values: values)
    }

    /// Feeds the app a whole successful run of the fixture's two variants.
    static func finishRun(_ app: App, _ launcher: RecordingLauncher, _ clock: ManualClock) {
        let job = launcher.jobs.last!.job
        func send(_ e: RunEvent) { app.handle(.engine(.event(job: job, step: 0, e))) }
        send(.stage("preparing inputs"))
        send(.variantStarted(label: "dense"))
        send(.progress(label: "dense", fraction: 0.5))
        send(.result(VariantResult(row: row("dense", method: "dense", latency: 412.5, flops: 4 * 128 * 4 * 4096 * 4097 / 2, rmse: 4.5e-8),
                                   coverage: coverage(), output: nil)))
        send(.variantStarted(label: "flash-64"))
        // The second variant reports like a sparse method would: fewer FLOPs, a gap in its
        // coverage, recall below 1 (the numbers are fixed, not measured).
        send(.result(VariantResult(row: row("flash-64", method: "flash", latency: 38.25, flops: 4 * 128 * 4 * 4096 * 4097 / 2 * 3 / 5,
                                            rmse: 3.8e-3, recall: 0.9312,
                                            extras: [ResultExtra("tile_q", 64), ResultExtra("tile_k", 64)]),
                                   coverage: coverage(skipped: 4..<9), output: nil)))
        clock.now += 2.5
        let report = ComparisonReport(spec: launcher.jobs.last!.specs[0], variants: [], attentionMap: attention())
        app.handle(.engine(.stepFinished(job: job, step: 0, report)))
        app.handle(.engine(.jobEnded(job: job, .finished)))
    }

    static func keys(_ app: App, _ keys: Key...) { for k in keys { app.handle(.key(k)) } }
    static func type(_ app: App, _ text: String) { for c in text { app.handle(.key(.char(c))) } }
}

/// Compares a buffer with the expected frame `Frames/<name>.txt` (characters, then a letter
/// per cell for its style, then the legend). With ATTNSCOPE_RECORD_FRAMES=1 the file is
/// (re)written and the test fails, so a recording is always looked at before it is trusted.
func assertFrame(_ buffer: CellBuffer, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    let path = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Frames/\(name).txt").path
    let actual = TextFrame.render(buffer)
    if ProcessInfo.processInfo.environment["ATTNSCOPE_RECORD_FRAMES"] == "1" {
        try? actual.write(toFile: path, atomically: true, encoding: .utf8)
        XCTFail("recorded \(path); check it and run again without ATTNSCOPE_RECORD_FRAMES", file: file, line: line)
        return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
        XCTFail("no expected frame \(path) (record with ATTNSCOPE_RECORD_FRAMES=1)", file: file, line: line)
        return
    }
    if actual != expected {
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }
        let where_ = first.map { "line \($0.offset + 1):\n  expected: \($0.element.1)\n  actual:   \($0.element.0)" } ?? "line counts differ"
        XCTFail("frame \(name) differs at \(where_)", file: file, line: line)
    }
}
