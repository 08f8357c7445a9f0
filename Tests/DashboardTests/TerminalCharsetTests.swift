import XCTest
@testable import AttentionEngine
@testable import Dashboard

/// A terminal whose locale is not UTF-8: C/POSIX is switched to a UTF-8 locale, a chosen
/// non-UTF-8 locale gets every cell in ASCII, with nothing drawn lost to "?".
final class TerminalCharsetTests: XCTestCase {
    func testUTF8LocalesAreKept() {
        for codeset in ["UTF-8", "utf8", "UTF8"] {
            XCTAssertEqual(TerminalCharset.decide(ctype: "en_GB.\(codeset)", codeset: codeset, lcAll: "") { XCTFail(); return nil },
                           .utf8)
        }
    }

    func testTheCLocaleIsSwitchedToUTF8WhenOneIsInstalled() {
        for ctype in ["C", "POSIX"] {
            XCTAssertEqual(TerminalCharset.decide(ctype: ctype, codeset: "ANSI_X3.4-1968", lcAll: "") { "C.UTF-8" },
                           .coercedUTF8(locale: "C.UTF-8"))
        }
        let none = TerminalCharset.decide(ctype: "C", codeset: "ANSI_X3.4-1968", lcAll: "") { nil }
        XCTAssertEqual(none, .ascii(locale: "C"))
        XCTAssertTrue(none.isASCII)
        XCTAssertNil(TerminalCharset.coercedUTF8(locale: "C.UTF-8").notice, "nothing is lost, so nothing is said")
    }

    /// LC_ALL and a locale with its own charset are the user's choice: not overridden.
    func testAChosenLocaleIsNotOverridden() {
        var asked = false
        XCTAssertEqual(TerminalCharset.decide(ctype: "C", codeset: "ANSI_X3.4-1968", lcAll: "C") { asked = true; return "C.UTF-8" },
                       .ascii(locale: "C"))
        XCTAssertEqual(TerminalCharset.decide(ctype: "de_DE.ISO-8859-1", codeset: "ISO-8859-1", lcAll: "") { asked = true; return "C.UTF-8" },
                       .ascii(locale: "de_DE.ISO-8859-1"))
        XCTAssertFalse(asked)
        let notice = TerminalCharset.ascii(locale: "de_DE.ISO-8859-1").notice ?? ""
        XCTAssertTrue(notice.contains("de_DE.ISO-8859-1 is not UTF-8") && notice.contains("LANG=C.UTF-8"), notice)
    }

    /// Every character of real screens (idle, running, finished in colour and monochrome,
    /// help, a sweep running and its plot) has its own ASCII stand-in; ASCII text is left
    /// as it is.
    func testEveryCharacterOnScreenHasAnASCIIStandIn() {
        let (app, launcher, clock) = Fixtures.app(width: 120, height: 40)
        var screens = [Screen.render(app.state, theme: .colour, now: clock.now)]
        Fixtures.keys(app, .char("r"))
        for phase in 0..<4 { screens.append(Screen.render(app.state, theme: .colour, now: clock.now + Double(phase) / 4)) }
        Fixtures.finishRun(app, launcher, clock)
        Fixtures.keys(app, .tab, .tab, .down)
        screens += [Screen.render(app.state, theme: .colour, now: clock.now), Screen.render(app.state, theme: .monochrome, now: clock.now)]
        Fixtures.keys(app, .char("?"))
        screens.append(Screen.render(app.state, theme: .colour, now: clock.now))
        Fixtures.keys(app, .escape, .char("w"), .ctrl("u"))
        Fixtures.type(app, "1024,4096")
        Fixtures.keys(app, .enter)
        let job = launcher.jobs.last!.job
        for (step, n) in [1024, 4096].enumerated() {
            var row = Fixtures.row("dense", method: "dense", latency: Double(n) / 97, flops: n * n, rmse: 1e-8)
            row.seq = n
            let report = ComparisonReport(spec: launcher.jobs.last!.specs[step], variants: [VariantResult(row: row)],
                                          attentionMap: Fixtures.attention())
            app.handle(.engine(.stepFinished(job: job, step: step, report)))
            screens.append(Screen.render(app.state, theme: .colour, now: clock.now))
        }
        app.handle(.engine(.jobEnded(job: job, .finished)))
        screens.append(Screen.render(app.state, theme: .colour, now: clock.now))

        var seen = Set<Unicode.Scalar>()
        for cell in screens.flatMap(\.cells) { seen.insert(cell.symbol) }
        XCTAssertGreaterThan(seen.filter { !$0.isASCII }.count, 15, "the screens draw box lines, blocks, marks and the spinner")
        for s in seen {
            let a = AsciiGlyphs.fallback(s)
            XCTAssertTrue(a.isASCII, "\(s) → \(a)")
            if s.isASCII { XCTAssertEqual(a, s) } else { XCTAssertNotEqual(a, "?", "no stand-in for \(s) (U+\(String(s.value, radix: 16)))") }
        }
    }

    func testStandInsKeepTheirShape() {
        func ascii(_ text: String) -> String { String(String.UnicodeScalarView(text.unicodeScalars.map(AsciiGlyphs.fallback))) }
        XCTAssertEqual(ascii("╭ Setup ──╮"), "+ Setup --+")
        XCTAssertEqual(ascii("│ ✓ dense · ✗"), "| + dense . x")
        XCTAssertEqual(ascii("◐◓◑◒"), "|/-\\", "the spinner still turns")
        XCTAssertEqual(ascii("▁▃▄▆█"), "_.-=#", "sparkline heights stay in order")
        XCTAssertEqual(ascii(" ░▒▓█"), " .:*#", "monochrome shades stay in order")
        XCTAssertEqual(ascii("\u{2800}\u{2801}\u{2840}\u{2841}"), " '.:", "braille by where its dots are")
        XCTAssertEqual(ascii("café 中"), "cafe ?")
    }
}
