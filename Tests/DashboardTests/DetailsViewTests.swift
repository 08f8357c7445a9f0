import XCTest
@testable import AttentionEngine
@testable import Dashboard

/// Details that do not fit say so, and Enter in Results shows them all, scrolling.
final class DetailsViewTests: XCTestCase {
    /// A finished run whose second row has more extras than a Details panel holds.
    func finishedApp(width: Int, height: Int) -> App {
        let (app, launcher, _) = Fixtures.app(width: width, height: height)
        Fixtures.keys(app, .char("r"))
        let job = launcher.jobs[0].job
        func send(_ e: RunEvent) { app.handle(.engine(.event(job: job, step: 0, e))) }
        let flops = 4 * 128 * 4 * 4096 * 4097 / 2
        send(.result(VariantResult(row: Fixtures.row("dense", method: "dense", latency: 412.5, flops: flops, rmse: 4.5e-8),
                                   coverage: Fixtures.coverage(), output: nil)))
        let extras = (1...24).map { ResultExtra("extra_\($0)", Double($0)) }
            + [ResultExtra("last_figure", .perHead(["vs(1000,4096)", "bs(64)", "a-shape(128,3968)", "vs(30,50)"]))]
        send(.result(VariantResult(row: Fixtures.row("flash-64", method: "flash", latency: 38.25, flops: flops / 2, rmse: 3.8e-3, extras: extras),
                                   coverage: Fixtures.coverage(), output: nil)))
        app.handle(.engine(.jobEnded(job: job, .finished)))
        app.state.selectedLabel = "flash-64"
        return app
    }

    func screen(_ app: App) -> String { Screen.render(app.state, theme: .monochrome, now: 0).text }

    func testAPanelThatOverflowsSaysHowManyLinesAreHidden() {
        let app = finishedApp(width: 160, height: 36)
        let text = screen(app)
        XCTAssertTrue(text.contains("Details · flash-64"))
        XCTAssertFalse(text.contains("last_figure"), "the test needs a panel too short for every line")
        XCTAssertNotNil(text.range(of: #"↓ \d+ more lines · Enter in Results shows all"#, options: .regularExpression), text)
    }

    func testEnterInResultsShowsEveryLineAndScrolls() {
        let app = finishedApp(width: 80, height: 24)
        XCTAssertFalse(screen(app).contains("Details ·"), "80 columns have no Details panel")
        app.state.focus = .results
        Fixtures.keys(app, .enter)
        guard case .details(0)? = app.state.modal else { return XCTFail("Enter opens the details view") }
        XCTAssertTrue(screen(app).contains("Details · flash-64"))
        for _ in 0..<40 { Fixtures.keys(app, .down) }
        let bottom = screen(app)
        XCTAssertTrue(bottom.contains("last_figure"), bottom)
        XCTAssertTrue(bottom.contains("h3 a-shape(128,3968)"), bottom)
        XCTAssertFalse(bottom.contains("more line"), "scrolled to the end, nothing is hidden")
        guard case .details(let end)? = app.state.modal else { return XCTFail() }
        XCTAssertEqual(end, DetailsPanel.maxScroll(app.state, now: 0), "↓ stops at the last line")
        Fixtures.keys(app, .up)
        guard case .details(end - 1)? = app.state.modal else { return XCTFail("↑ scrolls back at once") }
        Fixtures.keys(app, .escape)
        XCTAssertNil(app.state.modal)
    }
}
