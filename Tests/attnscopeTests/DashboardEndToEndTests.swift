import Foundation
import TestSupport
import XCTest

/// The real binary in tmux at 120×40, driven by keys: the first frame, a run that fills the
/// table while keys still respond, help, a resize, saving a preset that `attnscope run`
/// reproduces, a CSV export, and a clean exit. Then signals, Ctrl-Z and idle CPU.
final class DashboardEndToEndTests: XCTestCase {
    /// A small preset so the run takes seconds, not minutes.
    static let preset = """
        {"name": "e2e", "seq": 3072, "heads": 2, "kv_heads": 1, "head_dim": 64, "repeat": 2, "warmup": 1,
         "threads": 2, "methods": [{"method": "dense"}, {"method": "flash"}]}
        """

    /// The CSV header the README documents: the setup columns, DESIGN.md §2's columns, then
    /// the methods' extras (flash's tile sizes here).
    static let csvHeader = "preset,rope,rope_base,rope_style,repeat,warmup,reference_rows_setting,inputs,methods,"
        + "label,method,seq,heads,kv_heads,head_dim,causal,workload,seed,latency_ms,latency_ms_min,gflops,flops,"
        + "dense_flops,flops_saved,rmse,max_abs_err,rel_l2_err,reference_rows,recall,memory_bytes,threads,tile_q,tile_k"

    var dir = ""

    override func setUpWithError() throws {
        dir = try temporaryDirectory()
        try DashboardEndToEndTests.preset.write(toFile: dir + "/e2e.json", atomically: true, encoding: .utf8)
    }

    /// The shell command for the pane: the binary with a private config directory (and
    /// `environment`, arguments to env), then its exit code and the terminal modes it left
    /// written to files.
    func command(_ arguments: String, term: String = "tmux-256color", environment: String = "") -> String {
        "cd \(dir) && env -u NO_COLOR \(environment) TERM=\(term) XDG_CONFIG_HOME=\(dir)/config \(Attnscope.url.path) \(arguments); "
            + "echo $? > \(dir)/exit; stty -a > \(dir)/stty; sleep 30"
    }

    func assertTerminalRestored(file: StaticString = #filePath, line: UInt = #line) {
        let modes = Set((waitForFile(dir + "/stty") ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }))
        XCTAssertTrue(modes.isSuperset(of: ["icanon", "echo", "isig", "icrnl"]), "terminal modes restored: \(modes.sorted())",
                      file: file, line: line)
    }

    func testDashboardEndToEnd() throws {
        let tmux = try TmuxSession(width: 120, height: 40, command: command("tui --preset \(dir)/e2e.json"))
        XCTAssertNotNil(tmux.waitFor { $0.contains("╭ Setup") && $0.contains("No results yet") }, "first frame")

        tmux.send("r")
        XCTAssertNotNil(tmux.waitFor(10) { $0.contains("running") }, "the run starts")
        // Keys respond during the run: the Setup cursor moves (its row turns the selection colour).
        var delays: [Double] = []
        for (key, field) in [("j", "heads H"), ("k", "sequence N"), ("j", "heads H")] {
            let start = Date()
            tmux.send(key)
            let moved = tmux.waitFor(2, colours: true) { s in
                s.split(separator: "\n").contains { $0.contains(field) && $0.contains("48;5;24m") }
            }
            XCTAssertNotNil(moved, tmux.screen(colours: true))
            delays.append(Date().timeIntervalSince(start) * 1000)
        }
        XCTAssertTrue(tmux.screen().contains("running"), "the keys were answered while the run was going")
        // How fast is a figure to read, not a pass mark: a loaded machine can delay tmux itself.
        print("selection moved \(delays.map { String(format: "%.0f", $0) }.joined(separator: ", ")) ms after the key (during the run)")

        let done = tmux.waitFor(120) { $0.contains("✓ done 2/2") }
        XCTAssertNotNil(done, "the run finishes")
        let rows = (done ?? "").split(separator: "\n")
        XCTAssertTrue(rows.contains { $0.contains("│ dense ") && $0.contains("0.0%") })
        XCTAssertTrue(rows.contains { $0.contains("│ flash ") && $0.contains("0.0%") })

        // The reproduce view's command, as shown (its lines pasted as they are), run by a shell.
        tmux.send("p")
        let shown = try XCTUnwrap(tmux.waitFor { $0.contains("Reproduce · Esc closes") })
        let reproduce = DashboardEndToEndTests.boxText(shown, title: "Reproduce", separator: "\n")
        XCTAssertTrue(reproduce.hasPrefix("attnscope run --seq 3072 --heads 2 --kv-heads 1 --head-dim 64"), reproduce)
        tmux.send("Escape")
        let reproduced = try shell(Attnscope.url.path + reproduce.dropFirst("attnscope".count) + " --json -")

        tmux.send("?")
        XCTAssertNotNil(tmux.waitFor { $0.contains("Keys · Esc or ? closes") && $0.contains("Answer yes (overwrite).") })
        tmux.send("Escape")
        XCTAssertNotNil(tmux.waitFor { !$0.contains("Keys · Esc") })

        tmux.resize(width: 80, height: 24)
        let small = tmux.waitFor { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.count >= 24 && lines[1].hasPrefix("╭ Setup") && lines[1].contains("╮╭ Results") && lines[1].count == 80
        }
        XCTAssertNotNil(small, "re-laid out for 80×24")

        tmux.send("s")
        XCTAssertNotNil(tmux.waitFor { $0.contains("Save preset") })
        tmux.send("C-u")
        tmux.type("e2e-saved")
        tmux.send("Enter")
        let saved = "\(dir)/config/attnscope/presets/e2e-saved.json"
        XCTAssertNotNil(tmux.waitFor { $0.contains("saved preset") })
        XCTAssertTrue(FileManager.default.fileExists(atPath: saved))

        tmux.send("e")
        XCTAssertNotNil(tmux.waitFor { $0.contains("Export CSV") })
        tmux.send("C-u")
        tmux.type("\(dir)/out.csv")
        tmux.send("Enter")
        XCTAssertNotNil(tmux.waitFor { $0.contains("exported 2 rows") })
        let csv = try String(contentsOfFile: dir + "/out.csv", encoding: .utf8).components(separatedBy: "\r\n")
        XCTAssertEqual(csv[0], DashboardEndToEndTests.csvHeader)
        XCTAssertEqual(csv.count, 4)

        tmux.send("q")
        XCTAssertEqual(waitForFile(dir + "/exit")?.trimmingCharacters(in: .whitespacesAndNewlines), "0")
        assertTerminalRestored()
        XCTAssertFalse(tmux.screen().contains("╭ Setup"), "the alternate screen is gone")

        // The saved preset reproduces the run: same setup, same counted FLOPs per variant.
        let header = csv[0].components(separatedBy: ",")
        let flopsColumn = header.firstIndex(of: "flops")!, labelColumn = header.firstIndex(of: "label")!
        let dashboardFlops = Dictionary(uniqueKeysWithValues: csv[1...2].map {
            let f = $0.components(separatedBy: ","); return (f[labelColumn], Int(f[flopsColumn])!)
        })
        // So does the command of the reproduce view.
        let fromPreset = try Attnscope.run(["run", "--preset", saved, "--json", "-"])
        XCTAssertEqual(fromPreset.status, 0, fromPreset.stderr)
        for json in [fromPreset.stdout, reproduced] {
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
            let rowsOut = object["rows"] as! [[String: Any]]
            XCTAssertEqual(rowsOut.map { $0["label"] as! String }, ["dense", "flash"])
            for r in rowsOut { XCTAssertEqual(r["flops"] as? Int, dashboardFlops[r["label"] as! String]) }
            let spec = object["spec"] as! [String: Any]
            XCTAssertEqual(spec["seq"] as? Int, 3072)
            XCTAssertEqual(spec["kv_heads"] as? Int, 1)
            XCTAssertEqual(spec["repeat"] as? Int, 2)
        }
    }

    /// The text inside a framed box of the screen (found by its title), lines joined by spaces
    /// up to the first empty line.
    static func boxText(_ screen: String, title: String, separator: String = " ") -> String {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        let marker = Array("╭ " + title)
        guard let top = lines.firstIndex(where: { String($0).contains(String(marker)) }),
              let left = lines[top].indices.first(where: { Array(lines[top][$0...].prefix(marker.count)) == marker }),
              let right = lines[top][left...].firstIndex(of: "╮") else { return "" }
        var parts: [String] = []
        for line in lines[(top + 1)...] {
            guard line.count > right else { break }
            let inside = String(line[(left + 1)..<right]).trimmingCharacters(in: .whitespaces)
            if inside.isEmpty { break }
            parts.append(inside)
        }
        return parts.joined(separator: separator)
    }

    /// Runs a command line with /bin/sh and returns what it printed (it must succeed).
    func shell(_ command: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return String(decoding: data, as: UTF8.self)
    }

    func testTerminationSignalsAndCrashesRestoreTheTerminal() throws {
        // SIGTERM and SIGHUP quit the normal way (exit 130, interrupted); a trap (how Swift
        // crashes arrive) restores the terminal in the handler, then dies of the signal.
        for (signal, exit) in [(SIGTERM, "130"), (SIGHUP, "130"), (SIGTRAP, "\(128 + SIGTRAP)")] {
            try? FileManager.default.removeItem(atPath: dir + "/exit")
            try? FileManager.default.removeItem(atPath: dir + "/stty")
            let tmux = try TmuxSession(width: 100, height: 30, command: command("tui --preset \(dir)/e2e.json"))
            XCTAssertNotNil(tmux.waitFor { $0.contains("╭ Setup") })
            let pid = try XCTUnwrap(tmux.childPID)
            kill(pid, signal)
            if signal == SIGTRAP {
                // The Swift runtime's backtracer takes the crash after our handler restored
                // the terminal; on a terminal it waits for a key.
                let report = tmux.waitFor { $0.contains("Program crashed") && $0.contains("any other key to quit") }
                XCTAssertNotNil(report, "the crash report shows on the restored normal screen")
                XCTAssertFalse(report?.contains("╭ Setup") ?? true)
                tmux.send("q")
            }
            XCTAssertEqual(waitForFile(dir + "/exit")?.trimmingCharacters(in: .whitespacesAndNewlines), exit, "signal \(signal)")
            assertTerminalRestored()
        }
    }

    /// In an interactive shell (job control is the shell's): Ctrl-Z stops the dashboard and
    /// gives the shell its screen back; `fg` brings the dashboard back, redrawn.
    func testCtrlZSuspendsAndResumes() throws {
        let tmux = try TmuxSession(width: 100, height: 30, command: "cd \(dir) && PS1='$ ' bash --norc --noprofile -i")
        XCTAssertNotNil(tmux.waitFor { $0.contains("$") })
        // One job (a subshell), so the exit code is written only when the dashboard really ends.
        tmux.type("(" + command("tui --preset \(dir)/e2e.json").replacingOccurrences(of: "; sleep 30", with: ")"))
        tmux.send("Enter")
        XCTAssertNotNil(tmux.waitFor { $0.contains("╭ Setup") })
        let pid = try XCTUnwrap(tmux.childPID)
        tmux.send("C-z")
        XCTAssertNotNil(tmux.waitFor { $0.contains("Stopped") && !$0.contains("╭ Setup") }, "the shell's screen is back")
        let state = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8).split(separator: " ")[2]
        XCTAssertEqual(state, "T", "stopped")
        tmux.type("fg")
        tmux.send("Enter")
        XCTAssertNotNil(tmux.waitFor { $0.contains("╭ Setup") && $0.contains("No results yet") }, "redrawn after fg")
        tmux.send("q")
        XCTAssertEqual(waitForFile(dir + "/exit")?.trimmingCharacters(in: .whitespacesAndNewlines), "0")
        assertTerminalRestored()
    }

    func testDumbOrUnknownTerminalGivesOneLineAndExit64() throws {
        for term in ["dumb", "no-such-terminal"] {
            try? FileManager.default.removeItem(atPath: dir + "/exit")
            let tmux = try TmuxSession(width: 250, height: 10, command: command("", term: term))
            XCTAssertEqual(waitForFile(dir + "/exit")?.trimmingCharacters(in: .whitespacesAndNewlines), "64", term)
            let lines = tmux.screen(colours: true).split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "one line: \(lines)")
            XCTAssertTrue(lines.first?.hasPrefix("attnscope: the dashboard needs a terminal") == true)
            XCTAssertFalse(lines.first?.contains("\u{1B}") == true, "no escape codes")
        }
    }

    /// What a fresh container gives, no locale at all, draws the full display (C is switched
    /// to C.UTF-8); LC_ALL=C, an explicit choice, draws in ASCII and says so.
    func testALocaleWithoutUTF8() throws {
        guard let utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil) else { throw XCTSkip("no C.UTF-8 locale on this machine") }
        freelocale(utf8)
        let noLocale = "-u LANG -u LC_ALL -u LC_CTYPE"
        let full = try TmuxSession(width: 100, height: 30,
                                   command: command("tui --preset \(dir)/e2e.json", environment: noLocale))
        XCTAssertNotNil(full.waitFor { $0.contains("╭ Setup") && $0.contains("│ ✓ dense") }, full.screen())
        full.send("q")

        let ascii = try TmuxSession(width: 100, height: 30,
                                    command: command("tui --preset \(dir)/e2e.json", environment: noLocale + " LC_ALL=C"))
        let screen = ascii.waitFor { $0.contains("+ Setup ---") && $0.contains("| + dense") && $0.contains("locale C is not UTF-8") }
        XCTAssertNotNil(screen, ascii.screen())
        XCTAssertFalse((screen ?? "").unicodeScalars.contains { !$0.isASCII }, "nothing but ASCII is drawn")
        ascii.send("q")
    }

    func testIdleCPUIsBelowTwoPercentOfACore() throws {
        let tmux = try TmuxSession(width: 120, height: 40, command: command("tui --preset \(dir)/e2e.json"))
        XCTAssertNotNil(tmux.waitFor { $0.contains("╭ Setup") })
        let pid = try XCTUnwrap(tmux.childPID)
        func cpuTicks() throws -> Int {
            let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
            return Int(fields[11])! + Int(fields[12])!  // utime + stime (fields 14 and 15)
        }
        usleep(500_000)
        let before = try cpuTicks()
        let seconds = 10.0
        usleep(UInt32(seconds * 1e6))
        let share = Double(try cpuTicks() - before) / Double(sysconf(Int32(_SC_CLK_TCK))) / seconds
        print(String(format: "idle CPU over %.0f s: %.2f%% of a core", seconds, share * 100))
        XCTAssertLessThan(share, 0.02)
        tmux.send("q")
    }
}
