import Foundation
import TestSupport
import XCTest

/// The exit-code contract of DESIGN.md §2: bad usage 64, bad input data 65, each with a
/// message naming the flag, key, file or field — and nothing half-written.
final class ExitCodeTests: XCTestCase {
    let small = ["run", "--seq", "40", "--heads", "2", "--head-dim", "16", "--repeat", "1", "--warmup", "0"]

    func assertFails(_ args: [String], status: Int32, mentions needle: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try Attnscope.run(args)
        XCTAssertEqual(r.status, status, "attnscope \(args.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(needle), "stderr should mention \(needle): \(r.stderr)", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Fatal error"), file: file, line: line)
    }

    func testNoTerminalPointsToRunAndHelp() throws {
        let r = try Attnscope.run([])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("attnscope run") && r.stderr.contains("--help"), r.stderr)
        XCTAssertEqual(r.stdout, "", "no escape codes or anything else on stdout")
    }

    func testBadFlagsAreUsageErrors() throws {
        try assertFails(["run", "--seq", "0"], status: 64, mentions: "--seq")
        try assertFails(["run", "--head-dim", "0"], status: 64, mentions: "--head-dim")
        try assertFails(["run", "--heads", "6", "--kv-heads", "4"], status: 64, mentions: "--kv-heads 4")
        try assertFails(small + ["--method", "nosuch"], status: 64, mentions: "unknown method 'nosuch'")
        try assertFails(small + ["--method", "flash:tile_z=3"], status: 64, mentions: "unknown key 'tile_z'")
        try assertFails(small + ["--method", "flash:tile_q=abc"], status: 64, mentions: "tile_q=abc")
        try assertFails(small + ["--method", "flash", "--method", "flash"], status: 64, mentions: "label")
        try assertFails(["run", "--bogus"], status: 64, mentions: "--bogus")
        try assertFails(["run", "--threads", "0"], status: 64, mentions: "--threads")
        // A negative number is the flag's value (not read as another flag), so the message gives the range.
        try assertFails(["run", "--warmup", "-1"], status: 64, mentions: "--warmup -1 is out of range: 0…1000")
        try assertFails(["structure", "--seq", "-5"], status: 64, mentions: "--seq -5 is out of range")
        try assertFails(small + ["--csv", "-", "--json", "-"], status: 64, mentions: "--csv and --json both write to stdout (-)")
        try assertFails(["run", "--reference-rows", "zero"], status: 64, mentions: "--reference-rows")
        try assertFails(["run", "--reference-rows", "-3"], status: 64, mentions: "--reference-rows '-3' must be a positive whole number")
        try assertFails(["run", "--workload", "gibberish"], status: 64, mentions: "gibberish")
        try assertFails(["structure", "--seq", "40", "--rows", "0"], status: 64, mentions: "--rows 0")
        try assertFails(["structure", "--seq", "40", "--from", "40"], status: 64, mentions: "--from 40 is out of range: 0…39")
        try assertFails(["structure", "--seq", "40", "--method", "flash"], status: 64, mentions: "--method has no meaning for structure")
        // Below 80×24 the dashboard only says the terminal is too small: nothing to snapshot.
        try assertFails(["tui", "--snapshot", "79x24"], status: 64, mentions: "the dashboard needs at least 80×24")
        try assertFails(["tui", "--bench-frame", "80x23"], status: 64, mentions: "'80x23' must be WIDTHxHEIGHT")
        for command in [["presets"], ["presets", "show", "quickstart"], ["tui", "--snapshot", "80x24"]] {
            try assertFails(command + ["--presets-dir", "/nonexistent"], status: 64, mentions: "--presets-dir /nonexistent: no such directory")
        }
        let search = ["rope", "search", "--seq", "64", "--head-dim", "8", "--original", "32", "--generations", "1"]
        let r = try Attnscope.run(search + ["--output", "/nonexistent/best.json"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("/nonexistent does not exist") && !r.stderr.contains("generation"), "refused before searching: \(r.stderr)")
    }

    /// Inputs no machine can hold are refused before anything is allocated (an allocation
    /// failure would trap), by every command that makes them.
    func testSetupsTooLargeForMemoryAreUsageErrors() throws {
        let huge = ["--seq", "16777216", "--heads", "1024", "--kv-heads", "1024", "--head-dim", "1024"]
        try assertFails(["run"] + huge, status: 64,
                        mentions: "Q, K, V, an output and the float64 reference on 256 rows per head at N=16777216, H=1024, G=1024, d=1024: ")
        let saved = ["--save-outputs", try temporaryDirectory() + "/out", "--method", "flash", "--method", "dense"]
        try assertFails(["run"] + huge + saved, status: 64, mentions: "Q, K, V, 2 outputs and")
        try assertFails(["run"] + huge + saved, status: 64, mentions: "or save fewer variants' outputs")
        // The variant that copies the most (LongRoPE's rotated Q and K here) is counted and named.
        try assertFails(["run"] + huge + ["--method", "flash", "--method", "longrope:scaling=yarn,label=lr"], status: 64,
                        mentions: "the float64 reference on 256 rows per head and lr's copies of the inputs at N=16777216")
        try assertFails(["run"] + huge + ["--method", "longrope:scaling=yarn,label=lr"], status: 64, mentions: "or leave out lr")
        // Streamed runs never hold whole inputs, but the reference keeps state per row.
        try assertFails(["run"] + huge + ["--method", "infini", "--reference-rows", "all"], status: 64,
                        mentions: "the streamed float64 reference on 16777216 rows per head and infini's segments at H=1024")
        try assertFails(["structure"] + huge, status: 64, mentions: "iB of memory; lower N, H, G or d")
        let preset = try temporaryDirectory() + "/huge.json"
        try Data(#"{"seq": 16777216, "heads": 1024, "kv_heads": 1024, "head_dim": 1024}"#.utf8).write(to: URL(fileURLWithPath: preset))
        try assertFails(["tui", "--snapshot", "100x30", "--preset", preset], status: 64, mentions: "iB needed, this machine has")
        // Files are sized by their headers before they are read: sparse 1 TiB q, k, v.
        let files = try temporaryDirectory()
        let header = HeadTensorFixture.tensor(heads: 256, seq: 4_194_304, dim: 256).header
        for name in ["q", "k", "v"] {
            let path = files + "/\(name).npy"
            try header.write(to: URL(fileURLWithPath: path))
            let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: UInt64(header.count) + (1 << 40))  // 4 bytes × 256 × 4M × 256
            try handle.close()
        }
        try assertFails(["run", "--inputs", files], status: 64, mentions: "at N=4194304, H=256, G=256, d=256: ")
        try assertFails(["run", "--inputs", files], status: 64, mentions: "use inputs with fewer tokens or heads")
        try assertFails(["structure", "--inputs", files], status: 64, mentions: "use inputs with fewer tokens or heads")
    }

    func testBadInputFilesAreDataErrors() throws {
        let dir = try temporaryDirectory()
        try assertFails(["run", "--inputs", dir + "/nope"], status: 65, mentions: "no such directory")
        try assertFails(["run", "--inputs", dir], status: 65, mentions: "q.npy")
        let t = HeadTensorFixture.tensor(heads: 2, seq: 9, dim: 8)
        try t.write(dir + "/q.npy"); try t.write(dir + "/k.npy")
        try assertFails(["run", "--inputs", dir], status: 65, mentions: "v.npy: no such file")
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir + "/v.npy"))
        try assertFails(["run", "--inputs", dir], status: 65, mentions: "v.npy: not a .npy file")
        try HeadTensorFixture.tensor(heads: 2, seq: 10, dim: 8).write(dir + "/v.npy")
        try assertFails(["run", "--inputs", dir], status: 65, mentions: "sequence length")
        try HeadTensorFixture.tensor(heads: 2, seq: 9, dim: 8, poison: .infinity).write(dir + "/v.npy")
        try assertFails(["run", "--inputs", dir], status: 65, mentions: "v has a non-finite value")
        // A FIFO is refused at once (opening it for reading would wait for a writer).
        try FileManager.default.removeItem(atPath: dir + "/v.npy")
        XCTAssertEqual(mkfifo(dir + "/v.npy", 0o600), 0)
        try assertFails(["run", "--inputs", dir], status: 65, mentions: "v.npy: not a regular file (a pipe, socket or device)")
        try assertFails(["run", "--inputs", dir + "/q.npy"], status: 65, mentions: "q.npy: is not a .safetensors file; give one, or a directory holding q.npy")
        // Presets, configs and factor files say why they cannot be read, the same way.
        for (path, why) in [(dir + "/nope.json", "no such file"), (dir, "is a directory, not a file"),
                            (dir + "/v.npy", "not a regular file (a pipe, socket or device)")] {
            try assertFails(["run", "--preset", path], status: 65, mentions: "preset \(path): \(why)")
            try assertFails(["run", "--method", "minference:config=\(path)"], status: 65, mentions: "config \(path): \(why)")
            try assertFails(["run", "--method", "longrope:factors=\(path)"], status: 65, mentions: "factors \(path): \(why)")
        }
        try assertFails(["run", "--inputs", dir, "--seq", "9"], status: 64, mentions: "--seq cannot be combined with --inputs")
        try assertFails(["run", "--inputs", dir, "--workload", "llm"], status: 64, mentions: "--workload cannot be combined with --inputs")
        // A preset's inputs fix the shape just as --inputs does.
        try assertFails(["run", "--preset", "minilm-bert", "--seq", "100"], status: 64,
                        mentions: "--seq cannot be combined with the preset's inputs \(projectFile("presets/data/minilm-layer2"))")
    }

    func testMalformedPresetNamesFileAndField() throws {
        let dir = try temporaryDirectory()
        try Data(#"{"seq": "long", "methods": []}"#.utf8).write(to: URL(fileURLWithPath: dir + "/p.json"))
        try assertFails(["run", "--preset", dir + "/p.json"], status: 65, mentions: "'seq'")
        try Data(#"{"methods": [{"label": "x"}]}"#.utf8).write(to: URL(fileURLWithPath: dir + "/m.json"))
        try assertFails(["run", "--preset", dir + "/m.json"], status: 65, mentions: "methods[0].method")
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: dir + "/j.json"))
        try assertFails(["run", "--preset", dir + "/j.json"], status: 65, mentions: "not valid JSON")
        try assertFails(["run", "--preset", dir + "/absent.json"], status: 65, mentions: "absent.json")
        try Data(#"{"seq": 0}"#.utf8).write(to: URL(fileURLWithPath: dir + "/zero.json"))
        try assertFails(["run", "--preset", dir + "/zero.json"], status: 64, mentions: "preset \(dir)/zero.json: --seq 0 is out of range")
    }

    /// A value the user typed is blamed without the preset; one the preset gave names the
    /// preset. With a grouped-query preset, --heads keeps the preset's G.
    func testValidationErrorsNameThePresetOnlyForItsOwnValues() throws {
        let dir = try temporaryDirectory()
        try Data(#"{"seq": 40, "heads": 4, "kv_heads": 2, "repeat": 1, "warmup": 0}"#.utf8).write(to: URL(fileURLWithPath: dir + "/gqa.json"))
        try assertFails(["run", "--preset", dir + "/gqa.json", "--seq", "0"], status: 64, mentions: "attnscope: error: --seq 0 is out of range")
        try assertFails(["run", "--preset", dir + "/gqa.json", "--heads", "3"], status: 64,
                        mentions: "preset \(dir)/gqa.json: --heads 3 is not a multiple of --kv-heads 2")
        let run = try Attnscope.run(["run", "--preset", dir + "/gqa.json", "--heads", "6", "--json", "-"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains(#""kv_heads" : 2"#) && run.stdout.contains(#""heads" : 6"#), run.stdout)
        // A bad key of the preset's own variants names the preset; --method replaces them.
        try Data(#"{"seq": 40, "methods": [{"method": "infini", "params": {"segment": 0}}]}"#.utf8)
            .write(to: URL(fileURLWithPath: dir + "/keys.json"))
        try assertFails(["run", "--preset", dir + "/keys.json"], status: 64, mentions: "preset \(dir)/keys.json: method 'infini'")
        try assertFails(["run", "--preset", dir + "/keys.json", "--method", "infini:segment=-1"], status: 64,
                        mentions: "attnscope: error: method 'infini'")
    }

    func testFailedRunWritesNothing() throws {
        let dir = try temporaryDirectory()
        try assertFails(["run", "--inputs", dir + "/nope", "--csv", dir + "/r.csv", "--json", dir + "/r.json"], status: 65, mentions: "nope")
        try assertFails(small + ["--csv", dir + "/missing/r.csv"], status: 64, mentions: "does not exist")
        // A variant refused for the run's shape: the output directories (and their parents) it
        // would have made are not left behind; one that already existed stays.
        let factors = try temporaryFile("f.json", "[1, 2, 3]")
        try FileManager.default.createDirectory(atPath: dir + "/kept", withIntermediateDirectories: false)
        try assertFails(small + ["--method", "longrope:factors=\(factors)", "--save-outputs", dir + "/out/a/b", "--save-maps", dir + "/kept/maps"],
                        status: 65, mentions: "head dim 16 needs 8")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["kept"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/kept"), [])
        // Maps made inside the outputs directory go too.
        try assertFails(small + ["--method", "longrope:factors=\(factors)", "--save-outputs", dir + "/o", "--save-maps", dir + "/o/maps"],
                        status: 65, mentions: "head dim 16 needs 8")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["kept"])
    }

    /// Ctrl-C during a run exits 130 and writes nothing: an existing CSV keeps its contents,
    /// no temporary file or output directory is left behind.
    func testInterruptedRunExits130AndWritesNothing() throws {
        let dir = try temporaryDirectory()
        try Data("old,contents\r\n".utf8).write(to: URL(fileURLWithPath: dir + "/r.csv"))
        let p = Process()
        p.executableURL = Attnscope.url
        p.arguments = ["run", "--seq", "65536", "--heads", "1", "--head-dim", "64", "--method", "dense", "--repeat", "3",
                       "--csv", dir + "/r.csv", "--save-outputs", dir + "/out"]
        (p.standardInput, p.standardOutput, p.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice, FileHandle.nullDevice)
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        usleep(1_500_000)
        XCTAssertTrue(p.isRunning, "the run should still be going after 1.5 s")
        kill(p.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(30)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertFalse(p.isRunning, "the run did not stop within 30 s of Ctrl-C")
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        XCTAssertEqual(try String(contentsOfFile: dir + "/r.csv", encoding: .utf8), "old,contents\r\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["r.csv"])
    }

    /// Every destination that cannot be written is refused before the run (nothing on
    /// stdout: no table, so nothing ran), not after it with the results lost.
    func testBadDestinationsAreRefusedBeforeTheRun() throws {
        let dir = try temporaryDirectory()
        for (args, mention) in [(["--csv", dir], "\(dir): it is a directory"),
                                (["--json", ""], "an output path is empty"),
                                (["--csv", "/proc/attnscope.csv"], "cannot write /proc/attnscope.csv: "),
                                (["--save-maps", "/proc/self"], "cannot write /proc/self: "),
                                (["--csv", dir + "/r.csv", "--json", dir + "/./r.csv"], "name the same file")] {
            let r = try Attnscope.run(small + args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(mention), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args): refused before the run")
        }
        // Two files of one run that would land on one path.
        for (args, mention) in [(["--method", "flash:label=a/b", "--method", "flash:label=a_b", "--save-maps", dir + "/m"],
                                 "the coverage map of 'a/b' and the coverage map of 'a_b' name the same file, \(dir)/m/a_b.coverage.npy"),
                                (["--inputs", projectFile("presets/data/minilm-layer2"), "--method", "dense:label=attention",
                                  "--save-outputs", dir + "/d", "--save-maps", dir + "/d"],
                                 "the attention map and the output of 'attention' name the same file, \(dir)/d/attention.npy"),
                                (["--csv", dir + "/attention.npy", "--save-maps", dir + "/."],
                                 "--csv and the attention map name the same file, \(dir)/attention.npy: give each its own")] {
            let command = args.contains("--inputs") ? ["run", "--repeat", "1", "--warmup", "0"] : small
            try assertFails(command + args, status: 64, mentions: mention)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "no probe, partial file or directory left")
        try assertFails(["rope", "search", "--seq", "64", "--head-dim", "8", "--original", "32", "--generations", "1", "--output", dir],
                        status: 64, mentions: "it is a directory")
    }

    /// No output may land on a file the run reads: its inputs, its preset, a factors file,
    /// also through a symbolic link. Refused before the run, the file untouched.
    func testOutputsNeverOverwriteWhatTheRunReads() throws {
        let dir = try temporaryDirectory()
        let inputs = dir + "/in"
        try FileManager.default.copyItem(atPath: projectFile("presets/data/minilm-layer2"), toPath: inputs)
        let preset = dir + "/p.json"
        try #"{"seq": 64, "heads": 1, "head_dim": 16, "methods": [{"method": "flash"}]}"#.write(toFile: preset, atomically: true, encoding: .utf8)
        // A copy, so a broken check clobbers nothing of the project's.
        let factors = dir + "/factors.json"
        try FileManager.default.copyItem(atPath: projectFile("presets/data/phi35_longrope_factors.json"), toPath: factors)
        XCTAssertEqual(symlink(factors, dir + "/factors-link.json"), 0)
        let before = try [inputs + "/q.npy", inputs + "/k.npy", preset, factors].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let quick = ["run", "--repeat", "1", "--warmup", "0"]
        for (args, mention) in [
            (quick + ["--inputs", inputs, "--method", "flash:label=q", "--save-outputs", inputs], "the output of 'q' would overwrite an input file, \(inputs)/q.npy"),
            (quick + ["--inputs", inputs, "--method", "flash", "--csv", inputs + "/k.npy"], "--csv would overwrite an input file"),
            (quick + ["--preset", preset, "--csv", preset], "--csv would overwrite the preset"),
            (quick + ["--seq", "64", "--heads", "1", "--head-dim", "96", "--method", "longrope:factors=\(factors)", "--json", dir + "/factors-link.json"],
             "--json would overwrite factors= of 'longrope"),
        ] {
            try assertFails(args, status: 64, mentions: mention)
        }
        let after = try [inputs + "/q.npy", inputs + "/k.npy", preset, factors].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        XCTAssertEqual(before, after, "nothing the run reads was touched")
    }

    /// A name too long to write is refused before the run, not after some files are out.
    func testFileNamesTooLongAreRefusedBeforeTheRun() throws {
        let dir = try temporaryDirectory()
        let quick = ["run", "--repeat", "1", "--warmup", "0"]
        let long = String(repeating: "a", count: 300)
        try assertFails(quick + ["--seq", "64", "--heads", "1", "--head-dim", "16", "--method", "flash", "--method", "flash:label=\(long)",
                                 "--save-maps", dir + "/maps", "--csv", dir + "/r.csv"],
                        status: 64, mentions: "the coverage map of '\(long)': its file name (aaaa")
        try assertFails(quick + ["--seq", "64", "--heads", "1", "--head-dim", "16", "--method", "flash", "--csv", dir + "/" + long + ".csv"],
                        status: 64, mentions: "is 304 bytes, more than the 239 allowed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/r.csv"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/maps/attention.npy"))
    }

    /// Output that cannot be written (a full disk, here /dev/full) must not end in exit 0,
    /// and a full stderr must not crash the error report (FileHandle.write traps).
    func testStreamsThatCannotBeWrittenAreErrorsNotCrashes() throws {
        let full = try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full"))
        for args in [small, small + ["--json", "-"], ["presets"], ["structure", "--seq", "40", "--json"]] {
            let r = try Attnscope.run(args, standardOutput: full)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("cannot write to standard output"), r.stderr)
        }
        XCTAssertEqual(try Attnscope.run(["run", "--seq", "0"], standardError: full).status, 64)
        XCTAssertEqual(try Attnscope.run(small + ["--json", "-"], standardOutput: full, standardError: full).status, 64)
    }
}

/// Small .npy inputs written by the tests.
enum HeadTensorFixture {
    struct Fixture {
        var heads: Int, seq: Int, dim: Int, poison: Float?
        func write(_ path: String) throws {
            var values = (0..<heads * seq * dim).map { Float(($0 * 7919) % 23) / 11 - 1 }
            if let poison { values[values.count / 2] = poison }
            var d = header
            values.withUnsafeBytes { d.append(contentsOf: $0) }
            try d.write(to: URL(fileURLWithPath: path))
        }

        /// The .npy version 1.0 preamble and header of a float32 [heads, seq, dim] array.
        var header: Data {
            var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(heads), \(seq), \(dim)), }"
            header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
            return Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0]) + Data(header.utf8)
        }
    }
    static func tensor(heads: Int, seq: Int, dim: Int, poison: Float? = nil) -> Fixture {
        Fixture(heads: heads, seq: seq, dim: dim, poison: poison)
    }
}
