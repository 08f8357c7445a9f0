import Foundation
import TestSupport
import XCTest
@testable import AttentionEngine
@testable import Dashboard

/// The app driven by scripted events, as the loop would feed it: keys, engine messages,
/// resizes and ticks. Each test checks the state (and files) that result.
final class AppScriptTests: XCTestCase {
    func testInvalidFieldEditShowsTheAllowedRangeAndKeepsTheValue() {
        let (app, _, _) = Fixtures.app()
        Fixtures.keys(app, .enter, .ctrl("u"))
        Fixtures.type(app, "0")
        Fixtures.keys(app, .enter)
        XCTAssertEqual(app.state.setup.seq, 4096)
        XCTAssertNotNil(app.state.setupEditor, "the field stays open for correction")
        XCTAssertEqual(app.state.setupError, "sequence N: '0' is not allowed; expected a whole number in 1…16,777,216")
        let footer = Screen.render(app.state, theme: .colour, now: 0).line(22)
        XCTAssertTrue(footer.contains("✗ sequence N: '0' is not allowed"))
        Fixtures.keys(app, .backspace)
        Fixtures.type(app, "8,192")
        Fixtures.keys(app, .enter)
        XCTAssertEqual(app.state.setup.seq, 8192)
        XCTAssertNil(app.state.setupEditor)
        XCTAssertNil(app.state.setupError)
    }

    func testCrossFieldRuleIsCheckedAndEscapeCancels() {
        let (app, _, _) = Fixtures.app()
        Fixtures.keys(app, .down, .enter, .ctrl("u"))
        Fixtures.type(app, "3")
        Fixtures.keys(app, .enter)
        XCTAssertEqual(app.state.setup.heads, 4)
        XCTAssertTrue(app.state.setupError!.contains("not a multiple of --kv-heads 2"))
        Fixtures.keys(app, .escape)
        XCTAssertNil(app.state.setupEditor)
        XCTAssertNil(app.state.setupError)
    }

    func testArrowsCycleChoicesAndStepNumbers() {
        let (app, _, _) = Fixtures.app()
        Fixtures.keys(app, .right)
        XCTAssertEqual(app.state.setup.seq, 8192)
        Fixtures.keys(app, .char("h"), .char("h"))
        XCTAssertEqual(app.state.setup.seq, 2048)
        Fixtures.keys(app, .down, .down, .right)  // kv heads: next divisor of H = 4
        XCTAssertEqual(app.state.setup.kvHeads, 4)
        Fixtures.keys(app, .down, .down, .right)  // causal
        XCTAssertFalse(app.state.setup.causal)
        Fixtures.keys(app, .down, .enter)  // Enter on an enumeration cycles it too
        XCTAssertEqual(app.state.setup.workload, WorkloadKind.allCases[1])
    }

    func testRunProgressResultsAndHistory() {
        let (app, launcher, clock) = Fixtures.app()
        Fixtures.keys(app, .char("r"))
        XCTAssertEqual(launcher.jobs.count, 1)
        XCTAssertEqual(launcher.jobs[0].specs, [app.state.runSpec])
        XCTAssertTrue(app.state.isBusy)
        let job = launcher.jobs[0].job
        app.handle(.engine(.event(job: job, step: 0, .variantStarted(label: "dense"))))
        app.handle(.engine(.event(job: job, step: 0, .progress(label: "dense", fraction: 0.25))))
        XCTAssertEqual(app.state.session?.rows[0].status, .running(0.25))
        XCTAssertEqual(app.state.session?.rows[1].status, .queued)
        Fixtures.keys(app, .char("r"))
        XCTAssertEqual(launcher.jobs.count, 1, "a second run waits for the first")
        XCTAssertTrue(app.state.toast!.isError)
        Fixtures.finishRun(app, launcher, clock)
        XCTAssertFalse(app.state.isBusy)
        XCTAssertEqual(app.state.session?.results.map(\.label), ["dense", "flash-64"])
        XCTAssertNotNil(app.state.session?.attentionMap)
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)
        XCTAssertEqual(app.state.history(of: "dense"), [412.5, 412.5])
    }

    /// With nothing to run, r says what to press, not the command line's `--method`.
    func testRunWithNoVariantOnSaysHowToTurnOneOn() {
        let (app, launcher, _) = Fixtures.app()
        app.state.focus = .methods
        Fixtures.keys(app, .char(" "), .down, .char(" "), .char("r"))
        XCTAssertEqual(app.state.toast?.text, "no variant is on: Space in the Methods panel switches one on")
        Fixtures.keys(app, .char("x"), .char("x"), .char("r"))
        XCTAssertEqual(app.state.toast?.text, "no variants to run: a in the Methods panel adds one")
        XCTAssertTrue(launcher.jobs.isEmpty)
    }

    /// Results of another setup than the one on screen say so, until the next run.
    func testResultsOfAnEarlierSetupAreMarked() {
        let (app, launcher, clock) = Fixtures.app(width: 160, height: 40)
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)
        let note = { ResultsTable(state: app.state, now: clock.now).note() }
        XCTAssertFalse(note().contains("setup changed"), note())
        app.state.presetName = "renamed"
        XCTAssertFalse(note().contains("setup changed"), "a new name alone changes no number")
        Fixtures.keys(app, .enter, .ctrl("u"))
        Fixtures.type(app, "8192")
        Fixtures.keys(app, .enter)
        XCTAssertEqual(note(), "done 2/2 in 2.5 s · setup changed since")
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)
        XCTAssertFalse(note().contains("setup changed"), note())
    }

    /// A label's history is of one setup: runs at another N are another series.
    func testHistoryIsKeptPerSetup() {
        let (app, launcher, clock) = Fixtures.app()
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)
        app.state.setup.seq = 8192
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)
        XCTAssertEqual(app.state.history(of: "dense"), [412.5], "the 8,192-token run starts its own series")
        app.state.setup.seq = 4096
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)
        XCTAssertEqual(app.state.history(of: "dense"), [412.5, 412.5], "back at 4,096 the first series goes on")
    }

    /// A running variant says how long it has left at the rate of what it has done (exact
    /// kernels report progress by work), in Details and in the Results note; not before a
    /// second has passed.
    func testARunningVariantSaysHowLongItHasLeft() {
        let (app, launcher, clock) = Fixtures.app(width: 160, height: 48)
        Fixtures.keys(app, .char("r"))
        let job = launcher.jobs[0].job
        app.handle(.engine(.event(job: job, step: 0, .variantStarted(label: "dense"))))
        app.handle(.engine(.event(job: job, step: 0, .progress(label: "dense", fraction: 0.01))))
        func screen(after seconds: Double) -> String { Screen.render(app.state, theme: .monochrome, now: clock.now + seconds).text }
        XCTAssertFalse(screen(after: 0.5).contains("left"), "no estimate from half a second")
        XCTAssertTrue(screen(after: 3).contains("running dense, about 5 min left · 0/2"), screen(after: 3))
        app.handle(.engine(.event(job: job, step: 0, .progress(label: "dense", fraction: 0.4))))
        let later = screen(after: 30)
        XCTAssertTrue(later.contains("running dense, about 45 s left · 0/2"), later)
        XCTAssertTrue(later.contains("status   running, 40% of") && later.contains("runs, about 45 s left"), later)
    }

    func testCancelStopsTheJobAndMarksUnfinishedRows() {
        let (app, launcher, _) = Fixtures.app()
        Fixtures.keys(app, .char("r"))
        let job = launcher.jobs[0]
        app.handle(.engine(.event(job: job.job, step: 0, .variantStarted(label: "dense"))))
        Fixtures.keys(app, .char("c"))
        XCTAssertTrue(job.flag.isCancelled)
        app.handle(.engine(.jobEnded(job: job.job, .cancelled)))
        XCTAssertEqual(app.state.session?.phase, .cancelled)
        XCTAssertEqual(app.state.session?.rows.map(\.status), [.stopped, .stopped])
        XCTAssertEqual(app.state.toast?.text, "run cancelled")
        // A late message from the cancelled job changes nothing.
        app.handle(.engine(.event(job: job.job, step: 0, .progress(label: "dense", fraction: 0.9))))
        XCTAssertEqual(app.state.session?.rows[0].status, .stopped)
    }

    func testFailedRunShowsTheEngineMessage() {
        let (app, launcher, _) = Fixtures.app(width: 160, height: 48)
        Fixtures.keys(app, .char("r"))
        app.handle(.engine(.jobEnded(job: launcher.jobs[0].job, .failed(.data("--inputs /x: no such directory")))))
        XCTAssertEqual(app.state.toast?.text, "--inputs /x: no such directory")
        XCTAssertTrue(app.state.toast!.isError)
        // Long after the toast has gone, the selected row's details still say why.
        let later = Screen.render(app.state, theme: .colour, now: 1e6)
        XCTAssertFalse(later.text.contains("✗ --inputs /x"), "the toast has expired")
        let text = later.text
        XCTAssertTrue(text.contains("status   failed: --inputs /x:") && text.contains("no such directory"), text)
    }

    /// A variant that cannot run on the setup (MInference once the mask is off) is left out
    /// and shown as skipped, with its reason in Details; the others run. When none can run,
    /// `r` refuses with the reason and starts nothing.
    func testVariantsThatCannotRunAreSkippedAndTheRestRun() throws {
        var spec = Fixtures.spec
        spec.methods.insert(try MethodSpec(parsing: "minference:pattern=a-shape,label=sparse"), at: 1)
        let (app, launcher, clock) = Fixtures.app(spec: spec, width: 160, height: 48)
        Fixtures.keys(app, .down, .down, .down, .down, .right)  // causal: no
        XCTAssertFalse(app.state.setup.causal)
        Fixtures.keys(app, .char("r"))
        XCTAssertEqual(launcher.jobs.count, 1)
        XCTAssertEqual(launcher.jobs[0].specs.map { $0.methods.map(\.label) }, [["dense", "flash-64"]])
        let reason = "method 'minference' needs the causal mask: MInference is a prefill method for decoder attention"
        XCTAssertEqual(app.state.session?.rows.map(\.status), [.queued, .skipped(reason), .queued])
        XCTAssertEqual(app.state.toast?.text, "skipped sparse: " + reason)
        Fixtures.finishRun(app, launcher, clock)
        XCTAssertEqual(app.state.session?.rows.map(\.status), [.done, .skipped(reason), .done])
        app.state.selectedLabel = "sparse"
        let screen = Screen.render(app.state, theme: .colour, now: 1e6)
        let text = (0..<screen.height).map(screen.line).joined(separator: "\n")
        XCTAssertTrue(text.contains("✓ done 2/2") && text.contains("done 2/2 in 2.5 s · 1 skipped"), text)
        XCTAssertFalse(text.contains("setup changed"), "a skipped variant is not a change of setup")
        XCTAssertTrue(text.contains("sparse") && text.contains("skipped") && text.contains("status   skipped: method"), text)
        XCTAssertTrue(text.contains("sparse was skipped: it cannot run on this setup"), text)
        // `p` gives the command of what r ran (run would refuse the whole setup otherwise).
        Fixtures.keys(app, .char("p"))
        guard case .reproduce(let skipped)? = app.state.modal else { return XCTFail("p shows the command") }
        var buf = CellBuffer(width: 160, height: 48)
        ReproduceOverlay(setup: app.state.runSpec, skipped: skipped).draw(into: &buf, buf.area, theme: .colour)
        // The box's text as one line: borders and wrapping removed.
        let overlay = (0..<buf.height).map(buf.line).joined(separator: " ").replacingOccurrences(of: "│", with: " ")
            .split(separator: " ").joined(separator: " ")
        XCTAssertTrue(overlay.contains("--method dense --method flash:tile_q=64"), overlay)
        XCTAssertFalse(overlay.contains("--method minference"), overlay)
        XCTAssertTrue(overlay.contains("It leaves out sparse, which r skips: method 'minference' needs the causal"), overlay)
        Fixtures.keys(app, .escape)

        app.state.variants.removeAll { $0.spec.method != "minference" }
        Fixtures.keys(app, .char("r"))
        XCTAssertEqual(launcher.jobs.count, 1, "nothing left to run")
        XCTAssertEqual(app.state.toast?.text, reason)
        XCTAssertTrue(app.state.toast!.isError)
    }

    func testQuitCancelsRunningWork() {
        let (app, launcher, _) = Fixtures.app()
        Fixtures.keys(app, .char("r"), .ctrl("c"))
        XCTAssertTrue(launcher.jobs[0].flag.isCancelled)
        XCTAssertTrue(app.wantsExit)
    }

    func testResizeRelaysOutAndTooSmallStillQuits() {
        let (app, _, _) = Fixtures.app(width: 160, height: 48)
        XCTAssertEqual(Screen.render(app.state, theme: .colour, now: 0).width, 160)
        app.handle(.resize(width: 70, height: 20))
        let small = Screen.render(app.state, theme: .colour, now: 0)
        XCTAssertTrue(small.text.contains("terminal too small: need 80×24, have 70×20"))
        Fixtures.keys(app, .char("r"))
        XCTAssertNil(app.state.session, "keys other than q do nothing while too small")
        app.handle(.resize(width: 80, height: 24))
        XCTAssertTrue(Screen.render(app.state, theme: .colour, now: 0).line(1).contains("Setup"))
        app.handle(.resize(width: 70, height: 20))
        Fixtures.keys(app, .char("q"))
        XCTAssertTrue(app.wantsExit)
    }

    func testToastsExpire() {
        let (app, launcher, clock) = Fixtures.app()
        Fixtures.keys(app, .char("r"))
        Fixtures.keys(app, .char("c"))
        app.handle(.engine(.jobEnded(job: launcher.jobs[0].job, .cancelled)))
        XCTAssertNotNil(app.state.toast)
        clock.now += App.toastSeconds + 0.1
        app.handle(.tick)
        XCTAssertNil(app.state.toast)
    }

    func testSaveAsksForANameRefusesToOverwriteWithoutConfirmation() throws {
        let config = try temporaryDirectory()
        let presets = PresetLibrary(shippedDirectory: "/nonexistent", environment: ["XDG_CONFIG_HOME": config])
        let (app, _, _) = Fixtures.app(presets: presets)
        Fixtures.keys(app, .char("s"), .ctrl("u"))
        Fixtures.type(app, "a/b")
        Fixtures.keys(app, .enter)
        guard case .prompt(let p)? = app.state.modal else { return XCTFail("the prompt stays open") }
        XCTAssertTrue(p.error!.contains("without '/'"))
        Fixtures.keys(app, .ctrl("u"))
        Fixtures.type(app, "mine")
        Fixtures.keys(app, .enter)
        let path = config + "/attnscope/presets/mine.json"
        XCTAssertEqual(try PresetFile.load(path).methods, app.state.runSpec.methods)
        XCTAssertEqual(app.state.presetName, "mine")
        XCTAssertEqual(app.state.toast?.text, "saved preset \(path)")
        // Again with a change: asked first; "n" keeps the file, "y" replaces it.
        Fixtures.keys(app, .right, .char("s"), .enter)
        guard case .confirm? = app.state.modal else { return XCTFail("overwrite needs confirmation") }
        Fixtures.keys(app, .char("n"))
        XCTAssertEqual(try PresetFile.load(path).seq, 4096)
        Fixtures.keys(app, .char("s"), .enter, .char("y"))
        XCTAssertEqual(try PresetFile.load(path).seq, 8192)
    }

    /// A user preset named like a shipped one hides it from then on (for quickstart, at
    /// start-up too): saving one asks first, and `n` writes nothing.
    func testSavingOverAShippedPresetsNameAsksFirst() throws {
        let config = try temporaryDirectory()
        let presets = PresetLibrary(shippedDirectory: projectFile("presets"), environment: ["XDG_CONFIG_HOME": config])
        let (app, _, _) = Fixtures.app(presets: presets)
        let path = config + "/attnscope/presets/quickstart.json"
        Fixtures.keys(app, .char("s"), .ctrl("u"))
        Fixtures.type(app, "quickstart")
        Fixtures.keys(app, .enter)
        guard case .confirm(let c)? = app.state.modal else { return XCTFail("hiding a shipped preset needs confirmation") }
        XCTAssertTrue(c.question.contains("quickstart is a shipped preset (\(projectFile("presets/quickstart.json")))"), c.question)
        XCTAssertTrue(c.question.contains("and the start-up setup will use yours"), c.question)
        XCTAssertEqual([c.yes, c.no], ["save mine", "cancel"])
        Fixtures.keys(app, .char("n"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        Fixtures.keys(app, .char("s"), .ctrl("u"))
        Fixtures.type(app, "quickstart")
        Fixtures.keys(app, .enter, .char("y"))
        XCTAssertEqual(try PresetFile.load(path).methods, app.state.runSpec.methods)
    }

    func testLoadReportsAMalformedPresetAndKeepsTheSetup() throws {
        let config = try temporaryDirectory()
        let dir = config + "/attnscope/presets"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"{"seq": "long", "heads": 2}"#.write(toFile: dir + "/broken.json", atomically: true, encoding: .utf8)
        try #"{"name": "good", "seq": 1024, "heads": 2, "kv_heads": 1, "methods": [{"method": "flash"}]}"#
            .write(toFile: dir + "/good.json", atomically: true, encoding: .utf8)
        let presets = PresetLibrary(shippedDirectory: "/nonexistent", environment: ["XDG_CONFIG_HOME": config])
        let (app, _, _) = Fixtures.app(presets: presets)
        Fixtures.keys(app, .char("l"), .enter)  // broken.json sorts first
        XCTAssertEqual(app.state.setup, Fixtures.spec)
        XCTAssertTrue(app.state.toast!.isError)
        XCTAssertTrue(app.state.toast!.text.hasPrefix("preset \(dir)/broken.json: field 'seq':"), app.state.toast!.text)
        XCTAssertTrue(app.state.toast!.text.hasSuffix("; setup unchanged"))
        Fixtures.keys(app, .char("l"), .down, .enter)
        XCTAssertEqual(app.state.setup.seq, 1024)
        XCTAssertEqual(app.state.variants.map(\.spec.label), ["flash"])
        XCTAssertEqual(app.state.presetName, "good")
    }

    /// Shipped and user presets list their paths in one column; one that could not run is
    /// marked (loading it says why); a shipped one a user preset shadows is not listed.
    func testPresetPickerAlignsThePathsAndMarksInvalidOnes() throws {
        let shipped = try temporaryDirectory(), config = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: config + "/attnscope/presets", withIntermediateDirectories: true)
        for path in [shipped + "/a.json", shipped + "/b.json", config + "/attnscope/presets/b.json"] {
            try #"{"methods": [{"method": "flash"}]}"#.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try #"{"seq": 0}"#.write(toFile: config + "/attnscope/presets/c.json", atomically: true, encoding: .utf8)
        let presets = PresetLibrary(shippedDirectory: shipped, environment: ["XDG_CONFIG_HOME": config])
        let (app, _, _) = Fixtures.app(presets: presets)
        Fixtures.keys(app, .char("l"))
        guard case .picker(let picker)? = app.state.modal else { return XCTFail("l opens the preset list") }
        XCTAssertEqual(picker.items.map(\.detail), ["shipped  \(shipped)/a.json", "user     \(config)/attnscope/presets/b.json",
                                                    "user     \(config)/attnscope/presets/c.json  (invalid)"])
        // In a narrow box a long path is cut in its middle: origin, "…", and the end with
        // the file name and the mark.
        var buf = CellBuffer(width: 60, height: 8)
        PickerOverlay(picker: picker).draw(into: &buf, buf.area, theme: .colour)
        let line = try XCTUnwrap((0..<buf.height).map(buf.line).first { $0.contains("c.json") })
        XCTAssertTrue(line.contains("user     …") && line.contains("/presets/c.json  (invalid)"), line)
        XCTAssertEqual(Text.truncatedMiddle("abcdefghij", 6, head: 2), "ab…hij")
        XCTAssertEqual(Text.truncatedMiddle("abc", 6, head: 2), "abc")
    }

    func testExportWritesTheTableWithTheSetupAsCSV() throws {
        let dir = try temporaryDirectory()
        let (app, launcher, clock) = Fixtures.app()
        Fixtures.keys(app, .char("e"))
        XCTAssertNil(app.state.modal, "nothing to export before a run")
        XCTAssertEqual(app.state.toast?.text, "nothing to export yet: r runs the comparison")
        Fixtures.keys(app, .char("r"), .char("e"))
        XCTAssertEqual(app.state.toast?.text, "nothing to export yet: no variant has finished")
        app.handle(.engine(.jobEnded(job: launcher.jobs.last!.job, .failed(.usage("too big")))))
        Fixtures.keys(app, .char("e"))
        XCTAssertEqual(app.state.toast?.text, "nothing to export: no variant finished (Details says why)")
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)
        Fixtures.keys(app, .char("e"))
        guard case .prompt(let p)? = app.state.modal else { return XCTFail("asks for a path") }
        XCTAssertEqual(p.editor.string, "./attnscope-fixture-\(App.exportStamp(Date(timeIntervalSince1970: 1_750_000_000))).csv")
        app.state.presetName = "loaded-since"
        Fixtures.keys(app, .escape, .char("e"))
        guard case .prompt(let again)? = app.state.modal else { return XCTFail("asks for a path") }
        XCTAssertTrue(again.editor.string.hasPrefix("./attnscope-fixture-"), "named after the run exported, not a preset loaded since")
        Fixtures.keys(app, .ctrl("u"))
        Fixtures.type(app, dir + "/out.csv")
        Fixtures.keys(app, .enter)
        let text = try String(contentsOfFile: dir + "/out.csv", encoding: .utf8)
        let lines = text.components(separatedBy: "\r\n")
        XCTAssertEqual(lines[0], (App.setupColumnNames + ResultRow.standardColumns + ["tile_q", "tile_k"]).joined(separator: ","))
        XCTAssertEqual(lines.count, 4)  // header, two rows, empty after the last CRLF
        XCTAssertTrue(lines[2].hasPrefix("fixture,none,10000.0,half,3,1,auto,,dense flash:tile_q=64,flash-64,flash,4096,"))
        XCTAssertEqual(app.state.toast?.text, "exported 2 rows to \(dir)/out.csv")
        // A directory is refused at once (not asked "Overwrite it?" and refused after).
        Fixtures.keys(app, .char("e"), .ctrl("u"))
        Fixtures.type(app, dir)
        Fixtures.keys(app, .enter)
        guard case .prompt(let again)? = app.state.modal else { return XCTFail("the prompt stays open: \(String(describing: app.state.modal))") }
        XCTAssertEqual(again.error, "cannot write \(dir): it is a directory")
    }

    /// The `methods` column splits back into the variants as a shell splits words: a label
    /// with a space is quoted, as in the reproduce command.
    func testExportedMethodsColumnSplitsBackIntoVariants() throws {
        var spec = RunSpec()
        spec.methods = try ["dense:label=my label", "flash:label=a=b:c"].map(MethodSpec.init(parsing:))
        let methods = try XCTUnwrap(App.setupColumns(spec).first { $0.0 == "methods" }?.1)
        XCTAssertEqual(methods, "'dense:label=my label' flash:label=a=b:c")
    }

    /// `~` is the shell's: $HOME, not the password database's home.
    func testExportPathsExpandTildeFromHome() {
        XCTAssertEqual(App.expandingHome("~/r.csv", home: "/h/me"), "/h/me/r.csv")
        XCTAssertEqual(App.expandingHome("~", home: "/h/me"), "/h/me")
        XCTAssertEqual(App.expandingHome("./~r.csv", home: "/h/me"), "./~r.csv")
        XCTAssertEqual(App.expandingHome("/abs/r.csv", home: nil), "/abs/r.csv")
    }

    func testMethodsAddEditToggleRemove() {
        let (app, _, _) = Fixtures.app()
        Fixtures.keys(app, .tab, .char("a"))
        guard case .picker(let picker)? = app.state.modal else { return XCTFail("a opens the method list") }
        XCTAssertEqual(picker.items.map(\.name), MethodRegistry.all.map(\.name))
        XCTAssertEqual(picker.title, "Add a variant of which method?")
        let flash = MethodRegistry.all.firstIndex { $0.name == "flash" }!
        for _ in 0..<flash { Fixtures.keys(app, .down) }
        Fixtures.keys(app, .enter)
        XCTAssertEqual(app.state.variants.last?.spec.label, "flash")
        guard case .methodForm? = app.state.modal else { return XCTFail("a new variant opens its form") }
        // tile_q: a bad value is refused with the method's own message, a good one applied.
        Fixtures.keys(app, .down, .enter)
        Fixtures.type(app, "2")
        Fixtures.keys(app, .enter)
        guard case .methodForm(let form)? = app.state.modal else { return XCTFail() }
        XCTAssertEqual(form.error, "method 'flash': key 'tile_q=2' must be auto or a whole number in 4…1024")
        Fixtures.keys(app, .backspace)
        Fixtures.type(app, "32")
        Fixtures.keys(app, .enter)
        XCTAssertEqual(app.state.variants.last?.spec.params, ["tile_q": "32"])
        XCTAssertEqual(app.state.variants.last?.spec.label, "flash-32", "a derived label follows the values")
        // A choice key's help is a sentence, then its choices.
        Fixtures.keys(app, .down, .down)
        let screen = Screen.render(app.state, theme: .colour, now: 0).text
        XCTAssertTrue(screen.contains("float32. Choices (←/→): fp32, bf16, fp16, fp8."), screen)
        Fixtures.keys(app, .up, .up)
        // Renaming to a taken label is refused.
        Fixtures.keys(app, .up, .enter, .ctrl("u"))
        Fixtures.type(app, "dense")
        Fixtures.keys(app, .enter)
        guard case .methodForm(let form2)? = app.state.modal else { return XCTFail() }
        XCTAssertEqual(form2.error, "another variant is already labelled 'dense'")
        Fixtures.keys(app, .escape, .escape)
        XCTAssertNil(app.state.modal)
        Fixtures.keys(app, .char(" "))
        XCTAssertEqual(app.state.runSpec.methods.map(\.label), ["dense", "flash-64"])
        Fixtures.keys(app, .char("x"))
        XCTAssertEqual(app.state.variants.map(\.spec.label), ["dense", "flash-64"])
    }

    /// A label made unique with a number (a second flash is `flash-2`) is still derived: it
    /// follows the values like `flash`, while a label the user typed stays.
    func testALabelMadeUniqueStillFollowsTheValues() throws {
        let (app, _, _) = Fixtures.app()
        app.addVariant(method: "flash")
        app.addVariant(method: "flash")
        XCTAssertEqual(app.state.variants.map(\.spec.label), ["dense", "flash-64", "flash", "flash-2"])
        let keys = try MethodRegistry.descriptor(named: "flash").keys
        let tileQ = try XCTUnwrap(keys.firstIndex { $0.name == "tile_q" }) + 1
        try app.setFormRow(tileQ, to: "32", variant: 3, keys: keys)
        XCTAssertEqual(app.state.variants[3].spec.label, "flash-32")
        try app.setFormRow(0, to: "mine-2", variant: 3, keys: keys)
        try app.setFormRow(tileQ, to: "16", variant: 3, keys: keys)
        XCTAssertEqual(app.state.variants[3].spec.label, "mine-2", "a typed label stays")
        try app.setFormRow(tileQ, to: nil, variant: 3, keys: keys)
        try app.setFormRow(0, to: "flash-3", variant: 3, keys: keys)
        try app.setFormRow(tileQ, to: "32", variant: 3, keys: keys)
        XCTAssertEqual(app.state.variants[3].spec.label, "flash-3", "a typed label stays, even one that looks derived")
        try app.setFormRow(0, to: nil, variant: 3, keys: keys)
        XCTAssertEqual(app.state.variants[3].spec.label, "flash-32", "an emptied label is derived again")
        try app.setFormRow(0, to: "flash-32", variant: 3, keys: keys)
        try app.setFormRow(tileQ, to: "16", variant: 3, keys: keys)
        XCTAssertEqual(app.state.variants[3].spec.label, "flash-16", "Enter on a derived label unchanged keeps it derived")
        XCTAssertFalse(App.isDerived("flash-1", from: "flash"))
        XCTAssertFalse(App.isDerived("flash-x", from: "flash"))
    }

    func testFilterAndSortDriveTheSelectedRow() {
        let (app, launcher, clock) = Fixtures.app()
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)
        Fixtures.keys(app, .char("/"))
        Fixtures.type(app, "FLA")
        XCTAssertEqual(app.state.visibleRows.map(\.label), ["flash-64"], "filters as you type, ignoring case")
        XCTAssertEqual(app.state.selectedRow?.label, "flash-64")
        Fixtures.keys(app, .escape)
        XCTAssertEqual(app.state.visibleRows.count, 2)
        Fixtures.keys(app, .tab, .tab, .char("o"))  // column 1: latency, ascending
        XCTAssertEqual(app.state.visibleRows.map(\.label), ["flash-64", "dense"])
        Fixtures.keys(app, .char("o"))
        XCTAssertEqual(app.state.visibleRows.map(\.label), ["dense", "flash-64"])
        Fixtures.keys(app, .char("o"))
        XCTAssertNil(app.state.sort)
        // After a run with more columns (more extras) the cursor may point past this run's
        // last column: `o` and `←` act from the last one rather than doing nothing.
        let columns = ResultColumn.all(for: app.state.session?.results ?? [])
        app.state.resultsColumn = columns.count + 5
        Fixtures.keys(app, .char("o"))
        XCTAssertEqual(app.state.sort?.column, columns.last?.id)
        Fixtures.keys(app, .left)
        XCTAssertEqual(app.state.resultsColumn, columns.count - 2)
    }

    func testHeadsAndViewsCycle() {
        let (app, launcher, clock) = Fixtures.app()
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)
        Fixtures.keys(app, .char("["))
        XCTAssertEqual(app.state.head, 3)
        Fixtures.keys(app, .char("]"), .char("]"))
        XCTAssertEqual(app.state.head, 1)
        Fixtures.keys(app, .char("v"), .char("v"), .char("v"))
        XCTAssertEqual(app.state.heatmapView, .coverage)
    }

    /// With inputs from .npy files the results carry the files' H, which the setup's H field
    /// does not show: `[`/`]` go through the heads the results have, so every head is reachable.
    func testHeadKeysCycleTheResultsHeadsNotTheSetups() {
        var spec = Fixtures.spec
        spec.inputs = "/inputs"
        spec.heads = 2; spec.kvHeads = 2
        let (app, launcher, clock) = Fixtures.app(spec: spec, width: 160, height: 48)
        Fixtures.keys(app, .char("r"))
        Fixtures.finishRun(app, launcher, clock)  // rows, coverage and attention of 4 heads
        Fixtures.keys(app, .char("["))
        XCTAssertEqual(app.state.head, 3)
        let screen = Screen.render(app.state, theme: .colour, now: clock.now)
        XCTAssertTrue(screen.text.contains("head 4/4"))
        Fixtures.keys(app, .char("]"))
        XCTAssertEqual(app.state.head, 0)
        // The files' 4 heads, not the setup's default 2, bound the head a new run keeps; until
        // its first result the title gives no head count it cannot know.
        Fixtures.keys(app, .char("["), .char("r"))
        XCTAssertEqual(app.state.head, 3)
        let running = Screen.render(app.state, theme: .colour, now: clock.now)
        XCTAssertFalse(running.text.contains("· head "), "no head count before a result")
        Fixtures.finishRun(app, launcher, clock)
        XCTAssertEqual(app.state.head, 3)
    }

    func testSweepStartsOneComparisonPerLengthAndCollectsRows() {
        let (app, launcher, _) = Fixtures.app()
        Fixtures.keys(app, .char("w"))
        guard case .prompt(let p)? = app.state.modal else { return XCTFail("w asks for the lengths") }
        XCTAssertEqual(p.editor.string, "512,1024,2048,4096")
        Fixtures.keys(app, .ctrl("u"))
        Fixtures.type(app, "1024..4096")
        Fixtures.keys(app, .enter)
        XCTAssertEqual(launcher.jobs.last?.specs.map(\.seq), [1024, 2048, 4096])
        let job = launcher.jobs.last!.job
        for (step, n) in [1024, 2048, 4096].enumerated() {
            var row = Fixtures.row("dense", method: "dense", latency: Double(n) / 97, flops: n * n, rmse: 1e-8)
            row.seq = n
            let report = ComparisonReport(spec: launcher.jobs.last!.specs[step], variants: [VariantResult(row: row)],
                                          attentionMap: Fixtures.attention())
            app.handle(.engine(.stepFinished(job: job, step: step, report)))
        }
        app.handle(.engine(.jobEnded(job: job, .finished)))
        XCTAssertEqual(app.state.sweep?.rows.keys.sorted(), [1024, 2048, 4096])
        XCTAssertEqual(app.state.sweep?.phase, .finished)
        let screen = Screen.render(app.state, theme: .colour, now: 0)
        let text = (0..<screen.height).map(screen.line).joined(separator: "\n")
        XCTAssertTrue(text.contains("slope 1.00"), text)
        // Within one decade the latency axis is labelled with the extremes, 10.56… and
        // 42.23… ms, which must read as the table writes them, not cut to "10.55…".
        XCTAssertTrue(text.contains("10.6 │") && text.contains("42.2 │"), text)
        // Both legends name the length their figure is from (wide enough not to cut them).
        app.handle(.resize(width: 160, height: 48))
        let wide = Screen.render(app.state, theme: .colour, now: 0)
        let wideText = (0..<wide.height).map(wide.line).joined(separator: "\n")
        XCTAssertTrue(wideText.contains("42.2 ms at 4,096") && wideText.contains("saved at 4,096"), wideText)
        // Help opened over the sweep page closes back to it, not to the panels.
        guard case .sweep? = app.state.modal else { return XCTFail("the sweep page shows when the sweep ends") }
        Fixtures.keys(app, .char("?"))
        guard case .help(fromSweep: true)? = app.state.modal else { return XCTFail("? opens help over the sweep page") }
        Fixtures.keys(app, .escape)
        guard case .sweep? = app.state.modal else { return XCTFail("Esc returns to the sweep page") }
    }

    /// A sweep leaves out a variant that cannot run, at every length, and says so.
    func testASweepSkipsAVariantThatCannotRun() throws {
        var spec = Fixtures.spec
        spec.causal = false
        spec.methods.append(try MethodSpec(parsing: "minference:label=sparse"))
        let (app, launcher, _) = Fixtures.app(spec: spec)
        Fixtures.keys(app, .char("w"), .enter)
        XCTAssertEqual(launcher.jobs.last?.specs.map(\.seq), [512, 1024, 2048, 4096])
        XCTAssertEqual(Set(launcher.jobs.last!.specs.map { $0.methods.map(\.label) }), [["dense", "flash-64"]])
        XCTAssertEqual(app.state.sweep?.spec.methods.map(\.label), ["dense", "flash-64"])
        XCTAssertTrue(app.state.toast?.text.hasPrefix("skipped sparse: method 'minference' needs the causal mask") ?? false,
                      "\(String(describing: app.state.toast))")
    }

    /// Inputs from files fix N: a sweep would rerun them and plot them against Ns never
    /// used, so w refuses; before a run the screen promises no generated N or head count.
    func testNoSweepOverInputsFromFiles() {
        var spec = Fixtures.spec
        spec.inputs = "/data/layer2"
        let (app, launcher, _) = Fixtures.app(spec: spec, width: 120, height: 30)
        let screen = Screen.render(app.state, theme: .colour, now: 0)
        let text = (0..<screen.height).map(screen.line).joined(separator: "\n")
        XCTAssertTrue(text.contains("on the Q/K/V in /data/layer2") && !text.contains("w sweeps N"), text)
        XCTAssertFalse(text.contains("head 1/"), "the heads of files are not known before a run: \(text)")
        Fixtures.keys(app, .char("w"))
        XCTAssertNil(app.state.modal)
        XCTAssertTrue(app.state.toast?.text.contains("fixed N") ?? false, "\(String(describing: app.state.toast))")
        XCTAssertTrue(launcher.jobs.isEmpty)
    }

    /// Every length is checked before the first runs: one the machine cannot hold is refused
    /// in the prompt, with the memory check's figures, instead of after the others have run.
    func testASweepLengthTooLargeIsRefusedBeforeAnythingRuns() {
        var spec = Fixtures.spec
        spec.heads = 64
        spec.kvHeads = 64
        let (app, launcher, _) = Fixtures.app(spec: spec, width: 120, height: 30)
        Fixtures.keys(app, .char("w"), .ctrl("u"))
        Fixtures.type(app, "1024,16777216")
        Fixtures.keys(app, .enter)
        XCTAssertTrue(launcher.jobs.isEmpty)
        guard case .prompt(let p)? = app.state.modal else { return XCTFail("the prompt stays open") }
        let error = p.error ?? ""
        XCTAssertTrue(error.hasPrefix("N=16,777,216: ") && error.contains("needed, this machine has"), error)
        XCTAssertNil(app.state.sweep)
    }

    /// A message longer than the message line wraps upward over the panels, whole.
    func testALongMessageIsShownWhole() {
        let (app, _, _) = Fixtures.app(width: 80, height: 24)
        let words = (1...40).map { "word\($0)" }
        app.state.toast = Toast(text: words.joined(separator: " "), isError: true, expires: 1e9)
        let screen = Screen.render(app.state, theme: .monochrome, now: 0)
        let lines = (19..<23).map(screen.line)
        XCTAssertTrue(lines[0].hasPrefix(" ✗ word1 "), lines[0])
        let shown = lines.joined(separator: " ").split(separator: " ").map(String.init)
        XCTAssertEqual(shown, ["✗"] + words, "\(lines)")
        XCTAssertTrue(screen.line(23).contains("help"), "the key line stays")

        app.state.toast = Toast(text: (1...400).map { "w\($0)" }.joined(separator: " "), isError: false, expires: 1e9)
        let long = Screen.render(app.state, theme: .monochrome, now: 0)
        XCTAssertTrue(long.line(22).hasSuffix("…"), "past four lines the message is cut: \(long.line(22))")
        XCTAssertTrue(long.line(19).hasPrefix(" ✓ w1 "), "four lines, 19–22: \(long.line(19))")
    }

    func testSweepLengthsParsing() throws {
        XCTAssertEqual(try App.parseSweepLengths("1024..8192"), [1024, 2048, 4096, 8192])
        XCTAssertEqual(try App.parseSweepLengths("3000, 1000,2000"), [1000, 2000, 3000])
        XCTAssertThrowsError(try App.parseSweepLengths("1024"))
        XCTAssertThrowsError(try App.parseSweepLengths("0..100"))
        XCTAssertThrowsError(try App.parseSweepLengths("a,b"))
        XCTAssertEqual(try App.parseSweepLengths("1000..5000"), [1000, 2000, 4000, 5000])
        // Doubling toward a huge bound stops at the 16-length limit instead of overflowing.
        XCTAssertThrowsError(try App.parseSweepLengths("1..\(Int.max)")) {
            XCTAssertEqual(($0 as? EngineError)?.message, "sweep lengths: at most 16 lengths")
        }
    }

    func testReproduceShowsTheRunCommand() {
        let (app, _, _) = Fixtures.app(width: 120, height: 30)
        Fixtures.keys(app, .char("p"))
        let screen = Screen.render(app.state, theme: .colour, now: 0)
        let text = (0..<screen.height).map(screen.line).joined(separator: "\n")
        XCTAssertTrue(text.contains("attnscope run --seq 4096 --heads 4 --kv-heads 2 --head-dim 128"))
        XCTAssertTrue(text.contains("--method dense --method flash:tile_q=64"))
    }
}
