import Foundation
import XCTest

/// The shipped FlashAttention-3 error-table preset runs end to end through the binary, and
/// the new method keys are validated with exit 64.
final class FA3PresetTests: XCTestCase {
    static let preset = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../presets/fa3-error-table.json").standardizedFileURL.path

    private func attnscope(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = BinaryLocator.url
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testErrorTablePresetRunsItsSixRows() throws {
        let r = try attnscope(["run", "--preset", Self.preset, "--seq", "200", "--heads", "2", "--kv-heads", "1", "--csv", "-"])
        XCTAssertEqual(r.status, 0, r.err)
        let lines = r.out.split(separator: "\r\n").map(String.init)  // CSV lines end in CRLF (RFC 4180)
        let labels = lines.dropFirst().map { line in String(line.prefix { $0 != "," }) }
        XCTAssertEqual(labels, ["fp16-standard", "fp16-flash", "fp8-baseline", "fp8-block-hadamard", "fp8-no-block", "fp8-no-hadamard"])
        XCTAssertTrue(lines.first?.contains("numerics") ?? false, "the numerics column names each row's formats")
    }

    func testScalingWithoutFP8IsAUsageError() throws {
        let r = try attnscope(["run", "--seq", "64", "--method", "flash:precision=fp16,scaling=block"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.err.contains("scaling"), r.err)
    }
}
