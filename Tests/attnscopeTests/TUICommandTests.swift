import Foundation
import TestSupport
import XCTest

/// `attnscope tui` takes the setup flags of `attnscope run`, applied over --preset or the
/// quickstart, so a scripted run opens in the dashboard as it is (seen here through
/// `--snapshot`, which runs the setup to the end without a terminal).
final class TUICommandTests: XCTestCase {
    func snapshot(_ arguments: [String]) throws -> (status: Int32, screen: String, stderr: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        let r = try Attnscope.run(["tui", "--snapshot", "120x40"] + arguments, environment: environment)
        let plain = r.stdout.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        return (r.status, plain, r.stderr)
    }

    func testTheFlagsOfARunOpenThatSetup() throws {
        let inputs = projectFile("presets/data/minilm-layer2")
        let files = try snapshot(["--inputs", inputs, "--no-causal", "--method", "flash", "--repeat", "1", "--warmup", "0"])
        XCTAssertEqual(files.status, 0, files.stderr)
        XCTAssertTrue(files.screen.contains("inputs \(inputs) · non-causal"), files.screen)
        XCTAssertTrue(files.screen.contains("✓ done 1/1") && files.screen.contains("│ flash "), files.screen)
    }

    /// Without --preset the flags change the quickstart: its methods stay, the shape is the flags'.
    func testFlagsWithoutAPresetApplyToTheQuickstart() throws {
        let s = try snapshot(["--seq", "256", "--heads", "2", "--repeat", "1", "--warmup", "0"])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertTrue(s.screen.contains("attnscope quickstart │ N 256 · H 2 · G 2 · d 128 · llm"), s.screen)
        XCTAssertTrue(s.screen.contains("✓ done 7/7"), s.screen)
    }

    func testBadFlagsExitAsRunDoes() throws {
        let zero = try snapshot(["--seq", "0"])
        XCTAssertEqual(zero.status, 64)
        XCTAssertTrue(zero.stderr.contains("--seq 0 is out of range"), zero.stderr)
        XCTAssertEqual(zero.screen, "")
        let method = try snapshot(["--method", "nosuch"])
        XCTAssertEqual(method.status, 64)
        XCTAssertTrue(method.stderr.contains("nosuch"), method.stderr)
    }
}
