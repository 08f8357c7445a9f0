import XCTest
@testable import AttentionEngine
@testable import Dashboard

/// Whole screens at the smallest supported size and a large one, before, during and after
/// a run, compared with expected frames (characters and colours).
final class ScreenFrameTests: XCTestCase {
    func screens(_ width: Int, _ height: Int) -> [(String, CellBuffer)] {
        let (app, launcher, clock) = Fixtures.app(width: width, height: height)
        var out = [("idle", Screen.render(app.state, theme: .colour, now: clock.now))]
        Fixtures.keys(app, .char("r"))
        let job = launcher.jobs[0].job
        app.handle(.engine(.event(job: job, step: 0, .stage("float64 reference on 256 rows per head"))))
        app.handle(.engine(.event(job: job, step: 0, .variantStarted(label: "dense"))))
        app.handle(.engine(.event(job: job, step: 0, .progress(label: "dense", fraction: 0.75))))
        out.append(("running", Screen.render(app.state, theme: .colour, now: clock.now + 0.5)))
        Fixtures.finishRun(app, launcher, clock)
        Fixtures.keys(app, .tab, .tab, .down)
        out.append(("finished", Screen.render(app.state, theme: .colour, now: clock.now)))
        return out
    }

    func testScreensAt80x24() {
        for (name, buf) in screens(80, 24) { assertFrame(buf, "screen-80x24-\(name)") }
    }

    func testScreensAt160x48() {
        for (name, buf) in screens(160, 48) { assertFrame(buf, "screen-160x48-\(name)") }
    }

    func testMonochromeScreenUsesNoColours() {
        let (app, launcher, clock) = Fixtures.app(width: 100, height: 30)
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)
        Fixtures.keys(app, .tab, .tab, .down)
        let buf = Screen.render(app.state, theme: .monochrome, now: clock.now)
        XCTAssertTrue(buf.cells.allSatisfy { $0.style.fg == .standard && $0.style.bg == .standard })
        XCTAssertTrue(buf.cells.contains { $0.symbol == "█" }, "the heatmap uses shade characters")
    }

    func testSnapshotOfARealTinyRun() throws {
        var spec = RunSpec()
        spec.name = "tiny"
        spec.seq = 96; spec.heads = 2; spec.kvHeads = 1; spec.headDim = 16
        spec.repeat = 1; spec.warmup = 0; spec.threads = 2
        spec.methods = [MethodSpec(method: "dense"), MethodSpec(method: "flash")]
        let text = try Dashboard.snapshot(spec: spec, width: 100, height: 30,
                                          presets: PresetLibrary(shippedDirectory: "/nonexistent"), colour: true)
        let plain = text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        let lines = plain.split(separator: "\n")
        XCTAssertEqual(lines.count, 30)
        XCTAssertTrue(lines.allSatisfy { $0.count == 100 })
        XCTAssertTrue(plain.contains("✓ done 2/2"))
        XCTAssertTrue(lines.contains { $0.contains("│ dense ") && $0.contains("0.0%") })
        XCTAssertTrue(text.contains("\u{1B}[0;38;5;"), "colours are written as 256-colour SGR codes")
    }
}
