import XCTest
@testable import AttentionEngine
@testable import Dashboard

final class HeatGridTests: XCTestCase {
    func testCoveragePoolsMeansAndKeepsTheMask() {
        let map = Fixtures.coverage(heads: 1, grid: 16, skipped: 4..<8)
        let g = HeatGrid.coverage(map, head: 0, rows: 4, cols: 4)
        XCTAssertEqual(g.value(0, 0), 1)
        XCTAssertTrue(g.value(0, 3).isNaN, "above the diagonal is masked")
        // Display cell (3, 1) covers key cells 4..<8 of query cells 12..<16: all skipped.
        XCTAssertEqual(g.value(3, 1), 0)
        XCTAssertEqual(g.scale, .linear)
    }

    func testAttentionRowsSumToOneAndMissedIsTheUncoveredPart() {
        let attention = Fixtures.attention(heads: 1, grid: 16)
        let exact = HeatGrid.attention(attention, head: 0, rows: 8, cols: 8, causal: true)
        for r in 0..<8 {
            let total = (0..<8).map { exact.value(r, $0) }.filter(\.isFinite).reduce(0, +)
            XCTAssertEqual(total, 1, accuracy: 1e-5, "each query row's mass is 1")
        }
        // Wider than the grid and not a multiple of it: grid cells span 1 or 2 display
        // columns, and each shows its share, so a row's mass is still 1.
        let wide = HeatGrid.attention(attention, head: 0, rows: 8, cols: 24, causal: true)
        for r in 0..<8 {
            XCTAssertEqual((0..<24).map { wide.value(r, $0) }.filter(\.isFinite).reduce(0, +), 1, accuracy: 1e-5, "row \(r) at 24 columns")
        }
        let full = HeatGrid.attention(attention, head: 0, rows: 8, cols: 8, causal: true,
                                      missedFrom: Fixtures.coverage(heads: 1, grid: 16))
        XCTAssertEqual(full.values.filter(\.isFinite).reduce(0, +), 0, "nothing missed with full coverage")
        let gap = HeatGrid.attention(attention, head: 0, rows: 8, cols: 8, causal: true,
                                     missedFrom: Fixtures.coverage(heads: 1, grid: 16, skipped: 4..<8))
        // Display column 2 holds key cells 4 and 5, skipped by the last query rows.
        XCTAssertEqual(gap.value(7, 2), exact.value(7, 2), accuracy: 1e-7, "skipped keys: all their mass is missed")
        XCTAssertGreaterThan(gap.value(7, 2), 0)
        XCTAssertEqual(gap.value(7, 0), 0, "computed keys: none missed")
        if case .log(let lo, let hi) = exact.scale {
            XCTAssertEqual(lo, hi * 1e-4, accuracy: hi * 1e-12)
        } else {
            XCTFail("attention is on a log scale")
        }
    }

    /// The coverage view's "mean %" is pinned to the engine's own count: on a real run at
    /// an awkward N (grid cells of 3 and 4 positions, causal, GQA), the share of allowed entries
    /// each head computed, averaged over heads, is the attention kernel's counted FLOPs over the
    /// dense count (MInference: flops − index_flops; Infini: local_flops, its exact part).
    func testComputedShareMatchesTheEngineFlopCount() throws {
        var spec = Fixtures.spec
        spec.seq = 1000; spec.heads = 2; spec.kvHeads = 1; spec.headDim = 32
        spec.repeat = 1; spec.warmup = 0; spec.workload = .llm
        spec.methods = [MethodSpec(method: "minference", params: ["vertical": "64", "slash": "128"]),
                        MethodSpec(method: "minference", label: "a-shape", params: ["pattern": "a-shape", "sink": "32", "local": "128"]),
                        MethodSpec(method: "infini", params: ["segment": "256"])]
        let (app, launcher, _) = Fixtures.app(spec: spec, width: 160, height: 48)
        Fixtures.keys(app, .char("r"))
        let job = launcher.jobs[0].job
        // Events go through the loop's queue, as from the real launcher's thread.
        let queue = EventQueue<RunEvent>()
        let report = try ComparisonRunner(spec: spec).run(cancellation: CancellationFlag()) { queue.push($0) }
        for event in queue.drain() { app.handle(.engine(.event(job: job, step: 0, event))) }
        app.handle(.engine(.stepFinished(job: job, step: 0, report)))
        app.handle(.engine(.jobEnded(job: job, .finished)))
        for row in app.state.session!.rows {
            let result = try XCTUnwrap(row.result), shares = try XCTUnwrap(row.computedShares, row.label)
            func extra(_ name: String) -> Double? { if case .number(let x)? = result.value(of: name) { x } else { nil } }
            let kernelFlops = extra("local_flops") ?? Double(result.flops) - extra("index_flops")!
            let expected = kernelFlops / Double(result.denseFlops)
            XCTAssertEqual(shares.reduce(0, +) / Double(shares.count), expected, accuracy: 1e-7, row.label)
            // The panel shows head 1's share.
            app.state.selectedLabel = row.label
            let screen = Screen.render(app.state, theme: .colour, now: 0)
            let shown = String(format: "mean %.1f%%", shares[0] * 100)
            XCTAssertTrue(screen.text.contains(shown), "\(row.label): \(shown)")
        }
        // The Attention view pools this run's float64 reference map: a display row is a mean of
        // exact softmax rows, so its cells sum to 1 — at sizes that divide neither the 256-cell
        // grid nor N (so blocks are uneven and the causal cut falls inside cells), and at the grid's own.
        let attention = report.attentionMap
        XCTAssertEqual(attention.grid, 256)
        for (rows, cols) in [(37, 23), (300, 256)] {
            for head in 0..<attention.heads {
                let grid = HeatGrid.attention(attention, head: head, rows: rows, cols: cols, causal: spec.causal)
                var checked = 0
                for r in 0..<rows where HeatGrid.block(r, rows, attention.grid).contains(where: {
                    !attention.value(head: head, row: $0, col: 0).isNaN  // a reference row lies here
                }) {
                    checked += 1
                    let total = (0..<cols).map { grid.value(r, $0) }.filter(\.isFinite).reduce(0, +)
                    XCTAssertEqual(total, 1, accuracy: 1e-5, "\(rows)×\(cols), head \(head), row \(r)")
                }
                XCTAssertGreaterThan(checked, rows / 2, "most display rows hold reference rows")
            }
        }
    }

    func testViridisQuantisedToTheXtermCube() {
        XCTAssertEqual(Palette.xtermIndex(r: 0, g: 0, b: 0), 16)
        XCTAssertEqual(Palette.xtermIndex(r: 255, g: 255, b: 255), 231)
        XCTAssertEqual(Palette.xtermIndex(r: 128, g: 128, b: 128), 244)
        XCTAssertEqual(Palette.viridis.first, 53, "dark purple")
        XCTAssertEqual(Palette.viridis.last, 220, "yellow")
        XCTAssertGreaterThanOrEqual(Set(Palette.viridis).count, 10, "enough distinct steps to read")
        XCTAssertEqual(Palette.level(0), 0)
        XCTAssertEqual(Palette.level(1), Palette.levels - 1)
        XCTAssertEqual(Palette.shade(0), " ")
        XCTAssertEqual(Palette.shade(1), "█")
    }
}
