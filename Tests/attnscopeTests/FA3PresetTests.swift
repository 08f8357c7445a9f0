import Foundation
import TestSupport
import XCTest

/// The shipped FlashAttention-3 error-table preset runs end to end through the binary, and
/// the new method keys are validated with exit 64.
final class FA3PresetTests: XCTestCase {
    static let preset = projectFile("presets/fa3-error-table.json")

    func testErrorTablePresetRunsItsSixRows() throws {
        let r = try Attnscope.run(["run", "--preset", Self.preset, "--seq", "200", "--heads", "2", "--kv-heads", "1", "--csv", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\r\n").map(String.init)  // CSV lines end in CRLF (RFC 4180)
        let labels = lines.dropFirst().map { line in String(line.prefix { $0 != "," }) }
        XCTAssertEqual(labels, ["fp16-standard", "fp16-flash", "fp8-baseline", "fp8-block-hadamard", "fp8-no-block", "fp8-no-hadamard"])
        XCTAssertTrue(lines.first?.contains("numerics") ?? false, "the numerics column names each row's formats")
    }

    func testScalingWithoutFP8IsAUsageError() throws {
        let r = try Attnscope.run(["run", "--seq", "64", "--method", "flash:precision=fp16,scaling=block"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("scaling"), r.stderr)
    }
}
