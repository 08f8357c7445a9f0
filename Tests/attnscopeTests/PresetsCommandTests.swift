import Foundation
import TestSupport
import XCTest

/// `attnscope presets` and `run --preset NAME` from outside the source tree: shipped presets
/// find their files, and a preset that could not run is marked and explained.
final class PresetsCommandTests: XCTestCase {
    func testShippedPresetsRunFromAnyDirectory() throws {
        let elsewhere = try temporaryDirectory()
        let env = ["XDG_CONFIG_HOME": elsewhere, "PATH": "/usr/bin:/bin"]
        let list = try Attnscope.run(["presets"], environment: env, directory: elsewhere)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains("longrope-phi35") && !list.stdout.contains("invalid"), list.stdout)
        XCTAssertEqual(list.stderr, "")
        // longrope-phi35 names its factors file relative to itself.
        let run = try Attnscope.run(["run", "--preset", "longrope-phi35", "--seq", "600", "--heads", "1", "--kv-heads", "1",
                                     "--repeat", "1", "--warmup", "0", "--csv", "-"], environment: env, directory: elsewhere)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("phi35-longrope,longrope,600,"), run.stdout)
    }

    /// A user preset named like a shipped one wins by name; the list says which is hidden.
    func testAShadowedShippedPresetIsMarked() throws {
        let config = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: config + "/attnscope/presets", withIntermediateDirectories: true)
        try #"{"seq": 64, "methods": [{"method": "flash"}]}"#.write(toFile: config + "/attnscope/presets/quickstart.json",
                                                                    atomically: true, encoding: .utf8)
        let list = try Attnscope.run(["presets"], environment: ["XDG_CONFIG_HOME": config])
        XCTAssertEqual(list.status, 0, list.stderr)
        let lines = list.stdout.split(separator: "\n").filter { $0.hasPrefix("quickstart ") }
        XCTAssertEqual(lines.count, 2, list.stdout)
        XCTAssertTrue(lines.contains { $0.contains("shipped") && $0.hasSuffix("shadowed by the user preset") }, list.stdout)
        XCTAssertTrue(lines.contains { $0.contains("user") && !$0.contains("shadowed") }, list.stdout)
    }

    /// The spec in `--json` is a preset: its relative paths (inputs, factors=) are made
    /// absolute, so the spec runs the same again from another directory.
    func testTheJSONSpecRunsAgainAsAPresetFromElsewhere() throws {
        let dir = try temporaryDirectory(), elsewhere = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/in", withIntermediateDirectories: true)
        let t = HeadTensorFixture.tensor(heads: 2, seq: 40, dim: 16)
        for name in ["q", "k", "v"] { try t.write(dir + "/in/\(name).npy") }
        let first = try Attnscope.run(["run", "--inputs", "in", "--method", "flash", "--repeat", "1", "--warmup", "0",
                                       "--json", "-"], directory: dir)
        XCTAssertEqual(first.status, 0, first.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let spec = try XCTUnwrap(object["spec"] as? [String: Any])
        XCTAssertEqual(spec["inputs"] as? String, dir + "/in")
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: elsewhere + "/spec.json"))
        let again = try Attnscope.run(["run", "--preset", "spec.json", "--csv", "-"], directory: elsewhere)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("flash,flash,40,"), again.stdout)
    }

    func testAPresetThatCannotRunIsMarkedAndShowSaysWhy() throws {
        let config = try temporaryDirectory()
        let dir = config + "/attnscope/presets"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #"{"seq": 0, "methods": [{"method": "flash"}]}"#.write(toFile: dir + "/zero.json", atomically: true, encoding: .utf8)
        try #"{"inputs": "gone"}"#.write(toFile: dir + "/gone.json", atomically: true, encoding: .utf8)
        let env = ["XDG_CONFIG_HOME": config, "PATH": "/usr/bin:/bin"]
        let list = try Attnscope.run(["presets"], environment: env)
        XCTAssertEqual(list.status, 0, list.stderr)
        let line = list.stdout.split(separator: "\n").first { $0.hasPrefix("zero ") }
        XCTAssertEqual(line.map { String($0) }?.hasSuffix(dir + "/zero.json  invalid"), true, list.stdout)
        let gone = list.stdout.split(separator: "\n").first { $0.hasPrefix("gone ") }
        XCTAssertEqual(gone.map { String($0) }?.hasSuffix(dir + "/gone.json  invalid"), true, list.stdout)
        XCTAssertTrue(list.stderr.contains("2 invalid preset(s); `attnscope presets show gone` says why"), list.stderr)
        let showGone = try Attnscope.run(["presets", "show", "gone"], environment: env)
        XCTAssertEqual(showGone.status, 65)
        XCTAssertTrue(showGone.stderr.contains("preset \(dir)/gone.json: --inputs \(dir)/gone: no such directory"), showGone.stderr)
        let show = try Attnscope.run(["presets", "show", "zero"], environment: env)
        XCTAssertEqual(show.status, 64)
        XCTAssertTrue(show.stderr.contains("preset \(dir)/zero.json: --seq 0 is out of range"), show.stderr)
        XCTAssertEqual(show.stdout, "")
    }

    func testAnEmptyListSaysWhereItLooked() throws {
        let config = try temporaryDirectory(), shipped = try temporaryDirectory()
        let env = ["XDG_CONFIG_HOME": config, "PATH": "/usr/bin:/bin"]
        let list = try Attnscope.run(["presets", "--presets-dir", shipped], environment: env)
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertEqual(list.stdout, "")
        XCTAssertEqual(list.stderr, "attnscope: no presets found (shipped: \(shipped); user: \(config)/attnscope/presets)\n")
    }
}
