import XCTest
@testable import AttentionEngine
@testable import Dashboard

/// Each widget drawn alone into a cell buffer and compared with its expected frame.
final class WidgetFrameTests: XCTestCase {
    func draw(_ width: Int, _ height: Int, _ body: (inout CellBuffer, Rect) -> Void) -> CellBuffer {
        var buf = CellBuffer(width: width, height: height)
        body(&buf, buf.area)
        return buf
    }

    func testSetupPanelWithSelectionAndEditor() {
        let (app, _, _) = Fixtures.app()
        Fixtures.keys(app, .down, .down, .enter, .backspace)
        Fixtures.type(app, "3")
        assertFrame(draw(30, 14) { SetupPanel(state: app.state).draw(into: &$0, $1, theme: .colour) }, "setup-editing")
        Fixtures.keys(app, .escape, .down, .down, .down)
        assertFrame(draw(30, 14) { SetupPanel(state: app.state).draw(into: &$0, $1, theme: .colour) }, "setup-choice")
        // A value too long to fit with its arrows is cut; the arrows stay.
        Fixtures.keys(app, .down, .down)
        let rope = draw(30, 14) { SetupPanel(state: app.state).draw(into: &$0, $1, theme: .colour) }.line(8)
        XCTAssertEqual(rope, "│ rope           ‹ auto (… › │")
    }

    func testMethodsPanel() {
        let (app, _, _) = Fixtures.app()
        Fixtures.keys(app, .tab, .down, .char(" "))
        assertFrame(draw(30, 5) { MethodsPanel(state: app.state).draw(into: &$0, $1, theme: .colour) }, "methods")
    }

    func testResultsTableRunningAndFinished() {
        let (app, launcher, clock) = Fixtures.app()
        Fixtures.keys(app, .char("r"))
        let job = launcher.jobs[0].job
        app.handle(.engine(.event(job: job, step: 0, .variantStarted(label: "dense"))))
        app.handle(.engine(.event(job: job, step: 0, .progress(label: "dense", fraction: 0.4))))
        clock.now += 1.25
        assertFrame(draw(80, 6) { ResultsTable(state: app.state, now: clock.now).draw(into: &$0, $1, theme: .colour) }, "results-running")
        Fixtures.finishRun(app, launcher, clock)
        Fixtures.keys(app, .tab, .tab, .down, .right, .right, .char("o"))
        assertFrame(draw(80, 6) { ResultsTable(state: app.state, now: clock.now).draw(into: &$0, $1, theme: .colour) }, "results-sorted")
    }

    /// Rows that do not fit are counted on the frame's bottom edge, above and below.
    func testHiddenRowsAreCounted() {
        let (app, launcher, _) = Fixtures.app()
        Fixtures.keys(app, .char("r"))
        for label in ["dense", "flash-64"] {
            let row = Fixtures.row(label, method: "dense", latency: 10, flops: 1000, rmse: 1e-7)
            app.handle(.engine(.event(job: launcher.jobs[0].job, step: 0, .result(VariantResult(row: row)))))
        }
        let bottom = { self.draw(60, 4) { ResultsTable(state: app.state, now: 0).draw(into: &$0, $1, theme: .monochrome) }.line(3) }
        XCTAssertTrue(bottom().contains(" ↓ 1 more row "), bottom())
        app.state.selectedLabel = "flash-64"
        XCTAssertTrue(bottom().contains(" ↑ 1 more row "), bottom())
        XCTAssertFalse(draw(60, 6) { ResultsTable(state: app.state, now: 0).draw(into: &$0, $1, theme: .monochrome) }.line(5).contains("more"))
    }

    /// A cell longer than its column (a per-head list) is cut inside the column: the gap
    /// before it stays, so it never runs into the label.
    func testALongCellKeepsItsGap() {
        let (app, launcher, _) = Fixtures.app()
        Fixtures.keys(app, .char("r"))
        let patterns = ResultExtra("pattern", .perHead(["a-shape(64,512)", "a-shape(64,512)", "a-shape(64,512)"]))
        let row = Fixtures.row("dense", method: "dense", latency: 10, flops: 1000, rmse: 1e-7, extras: [patterns])
        app.handle(.engine(.event(job: launcher.jobs[0].job, step: 0, .result(VariantResult(row: row)))))
        app.state.focus = .results
        for _ in 0..<30 { Fixtures.keys(app, .right) }
        let line = draw(60, 6) { ResultsTable(state: app.state, now: 0).draw(into: &$0, $1, theme: .monochrome) }.line(2)
        XCTAssertTrue(line.contains("4,096  a-shape(64,512),a-shape…"), line)
    }

    /// Extras' names are keys of the Details panel: a long one keeps a space before its value,
    /// and one longer than the key column is cut with "…", never run into the value. Values
    /// wrap between phrases: a head's number stays with its value, a figure with its name.
    func testDetailsKeepLongExtraNamesApartFromTheirValues() {
        let (app, launcher, _) = Fixtures.app()
        Fixtures.keys(app, .char("r"))
        let row = Fixtures.row("dense", method: "dense", latency: 10, flops: 1000, rmse: 1e-7,
                               extras: [ResultExtra("kernel_gflops", 180.17), ResultExtra("a_very_long_extra_name", 3),
                                        ResultExtra("pattern", .perHead(["bs(64)", "a-shape"])),
                                        ResultExtra("search_err", .perHeadNumbers([0.01234, 0.5]))])
        app.handle(.engine(.event(job: launcher.jobs[0].job, step: 0, .result(VariantResult(row: row)))))
        let buf = draw(34, 30) { DetailsPanel(state: app.state, now: 0).draw(into: &$0, $1, theme: .monochrome) }
        let text = (0..<buf.height).map { buf.line($0).dropFirst(2).dropLast(2).trimmingCharacters(in: .whitespaces) }
        let all = text.joined(separator: "\n")
        func follows(_ first: String, _ second: String) -> Bool {
            zip(text, text.dropFirst()).contains { $0 == first && $1 == second }
        }
        XCTAssertTrue(text.contains("kernel_gflops 180.17"), all)
        XCTAssertTrue(text.contains("a_very_long_… 3"), all)
        XCTAssertTrue(follows("pattern       h1 bs(64)", "h2 a-shape"), all)
        XCTAssertTrue(follows("search_err    h1 0.0123", "h2 0.5"), all)
        XCTAssertTrue(follows("latency       10.0 ms median,", "9.70 ms min"), all)
        XCTAssertTrue(follows("error         RMSE 1.00e-07,", "max 1.40e-06,"), all)
    }

    func testHeatmapViews() throws {
        let (app, launcher, clock) = Fixtures.app()
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)
        Fixtures.keys(app, .tab, .tab, .down)
        assertFrame(draw(50, 14) { HeatmapPanel(state: app.state).draw(into: &$0, $1, theme: .colour) }, "heatmap-coverage")
        Fixtures.keys(app, .char("v"))
        assertFrame(draw(50, 14) { HeatmapPanel(state: app.state).draw(into: &$0, $1, theme: .colour) }, "heatmap-attention")
        Fixtures.keys(app, .char("v"), .char("]"))
        assertFrame(draw(50, 14) { HeatmapPanel(state: app.state).draw(into: &$0, $1, theme: .monochrome) }, "heatmap-missed-mono")
        // A variant that computed every allowed entry (dense) shows, in the coverage view,
        // the attention it computed rather than a flat map.
        Fixtures.keys(app, .char("v"), .up)
        XCTAssertEqual(app.state.selectedLabel, "dense")
        let exact = draw(50, 14) { HeatmapPanel(state: app.state).draw(into: &$0, $1, theme: .colour) }.line(0)
        XCTAssertTrue(exact.contains("Attention · dense · head 2/4 ──── all computed"), exact)
        Fixtures.keys(app, .down)
        // A long label is cut with "…" so the head stays in the title.
        let label = try XCTUnwrap(app.state.selectedLabel)
        app.state.session?.rows.indices.forEach { i in
            if app.state.session?.rows[i].label == label { app.state.session?.rows[i].label = label + "-with-a-very-long-name" }
        }
        app.state.selectedLabel = label + "-with-a-very-long-name"
        let title = draw(50, 14) { HeatmapPanel(state: app.state).draw(into: &$0, $1, theme: .colour) }.line(0)
        XCTAssertTrue(title.contains("…") && title.contains(" · head 2/4 "), title)
    }

    func testSparklineProgressBarAndPlot() {
        let buf = draw(30, 3) { buf, _ in
            Sparkline(values: [4, 3, 5, 9, 2, 7]).draw(into: &buf, x: 0, y: 0, width: 10, style: Theme.colour.barDone)
            ProgressBar(fraction: 0.55).draw(into: &buf, x: 0, y: 1, width: 10, theme: .colour)
            ProgressBar(fraction: 1).draw(into: &buf, x: 0, y: 2, width: 10, theme: .monochrome)
        }
        assertFrame(buf, "sparkline-progress")
        let plot = LogLogPlot(title: "latency", series: [
            .init(label: "quadratic", points: [(1024, 1), (2048, 4), (4096, 16), (8192, 64)]),
            .init(label: "linear", points: [(1024, 2), (2048, 4), (4096, 8), (8192, 16)]),
        ], format: { String(format: "%g", $0) })
        assertFrame(draw(40, 14) { plot.draw(into: &$0, $1, theme: .colour) }, "loglog-plot")
    }

    func testLogLogSlopes() {
        XCTAssertEqual(LogLogPlot.slope([(1024, 1), (2048, 4), (4096, 16)])!, 2, accuracy: 1e-12)
        XCTAssertEqual(LogLogPlot.slope([(1000, 3), (10_000, 30)])!, 1, accuracy: 1e-12)
        XCTAssertNil(LogLogPlot.slope([(1000, 3), (1000, 30)]))
    }

    func testHelpOverlayAndTooSmall() {
        assertFrame(draw(80, 21) { HelpOverlay().draw(into: &$0, $1, theme: .colour) }, "help-80x21")
        var small = CellBuffer(width: 60, height: 10)
        TooSmallScreen().draw(into: &small, theme: .colour)
        assertFrame(small, "too-small")
        var tiny = CellBuffer(width: 40, height: 12)
        TooSmallScreen().draw(into: &tiny, theme: .colour)
        XCTAssertEqual(tiny.text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
                       ["terminal too small: need 80×24, have", "40×12", "q quits"], "wrapped, never cut")
    }

    /// Packing the help into columns keeps a scope that fits in one column whole, and each
    /// binding's wrapped text and a header with its first binding together; the gap line at a
    /// column's top is dropped: each column is whole blocks, in order, and together every block.
    /// A scope's lines are what the same width gives with room for every scope in one block
    /// (its header, then each of its keymap bindings in order); a scope too tall for a column is cut only between bindings, into blocks that
    /// each fit, and loses no line.
    func testHelpColumnsNeverSplitABinding() {
        let help = HelpOverlay()
        func text(_ lines: some Sequence<HelpOverlay.Line>) -> [String] { lines.map { "\($0.keys)|\($0.text)|\($0.header)" } }
        var splitScopes = 0
        for (textWidth, height) in [(20, 19), (34, 38), (80, 7), (40, 12)] {
            let blocks = help.blocks(textWidth: textWidth, height: height), gap = text([("", "", true)])
            let unsplit = help.blocks(textWidth: textWidth, height: 10_000)
            for scope in KeyScope.allCases {
                let context = "\(scope.rawValue) at width \(textWidth), height \(height)"
                let whole = unsplit.first { $0[0].header && $0[0].keys == scope.rawValue }!
                XCTAssertTrue(whole.dropFirst().allSatisfy { !$0.header }, "\(context): one block holds the whole scope")
                XCTAssertEqual(whole.dropFirst().map(\.keys).filter { !$0.isEmpty }, Keymap.bindings(in: scope).map(\.keyNames), context)
                let first = blocks.firstIndex { $0[0].header && $0[0].keys == scope.rawValue }!
                let end = blocks[(first + 1)...].firstIndex { $0[0].header } ?? blocks.count
                let scopeBlocks = Array(blocks[first..<end])
                if whole.count <= height {
                    XCTAssertEqual(scopeBlocks.map(text), [text(whole)], "\(context): fits, so one block")
                    continue
                }
                splitScopes += 1
                for block in scopeBlocks { XCTAssertLessThanOrEqual(block.count, height, "\(context): a block is taller than a column") }
                XCTAssertGreaterThan(scopeBlocks[0].count, 1, "\(context): the header keeps its first binding")
                for block in scopeBlocks.dropFirst() {
                    XCTAssertTrue(!block[0].header && !block[0].keys.isEmpty, "\(context): a block starts inside a binding: \(text(block.prefix(1)))")
                }
                XCTAssertEqual(text(scopeBlocks.joined()), text(whole), "\(context): the blocks joined are the scope's lines")
            }
            let columns = HelpOverlay.columns(of: blocks, height: height)
            var b = 0
            for column in columns {
                if text(blocks[b]) == gap { b += 1 }  // a gap is dropped at a column's top
                XCTAssertNotEqual(text(column.prefix(1)), gap, "width \(textWidth), height \(height)")
                var at = 0
                while at < column.count && b < blocks.count {
                    XCTAssertEqual(text(column.dropFirst(at).prefix(blocks[b].count)), text(blocks[b]),
                                   "a block is split at width \(textWidth), height \(height)")
                    at += blocks[b].count; b += 1
                }
                XCTAssertEqual(at, column.count)
            }
            XCTAssertEqual(b, blocks.count, "every block is placed")
        }
        XCTAssertGreaterThan(splitScopes, 0, "some scope is taller than a column, so splitting is tested")
    }
}
