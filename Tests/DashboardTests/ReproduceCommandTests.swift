import Foundation
import XCTest
@testable import AttentionEngine
@testable import Dashboard

/// The reproduce dialog's command must paste into a shell as shown: a POSIX shell reading
/// its lines gets exactly the run's arguments.
final class ReproduceCommandTests: XCTestCase {
    var spec: RunSpec {
        var s = RunSpec()
        s.methods = [MethodSpec(method: "dense"),
                     try! MethodSpec(parsing: "minference:pattern=vertical-slash,vertical=1000,label=mi vs"),
                     try! MethodSpec(parsing: "longrope:original=1024,target=16384,label=longrope-yarn")]
        return s
    }

    /// The words /bin/sh reads from `lines`, one per element.
    func shellWords(_ lines: [String]) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "set -- " + lines.joined(separator: "\n") + "\nprintf '%s\\0' \"$@\""]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func testLinesBreakBetweenArgumentsAndPasteIntoAShell() throws {
        // 72 and 96: the command's room in the box on 80- and 120-column terminals.
        for width in [72, 96] {
            let (lines, broken) = ReproduceOverlay.commandLines(spec.commandLinePhrases, width: width)
            XCTAssertFalse(broken, "width \(width)")
            XCTAssertGreaterThan(lines.count, 1)
            XCTAssertTrue(lines.allSatisfy { $0.count <= width }, "width \(width): \(lines)")
            XCTAssertTrue(lines.dropLast().allSatisfy { $0.hasSuffix(" \\") }, "\(lines)")
            XCTAssertEqual(try shellWords(lines), ["attnscope"] + spec.commandLineArguments, "width \(width)")
        }
    }

    func testAnArgumentWiderThanTheBoxIsFlaggedNotContinued() {
        var s = spec
        s.methods = [MethodSpec(method: "flash", label: String(repeating: "x", count: 60))]
        let (lines, broken) = ReproduceOverlay.commandLines(s.commandLinePhrases, width: 40)
        XCTAssertTrue(broken)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 40 }, "\(lines)")
        XCTAssertEqual(lines.joined().filter { $0 == "x" }.count, 60, "nothing is lost")
    }

    func testPhrasesKeepEachFlagWithItsValue() {
        let phrases = spec.commandLinePhrases
        XCTAssertEqual(Array(phrases.prefix(3)), ["attnscope run", "--seq 4096", "--heads 8"])
        XCTAssertTrue(phrases.contains("--causal"))
        XCTAssertTrue(phrases.contains("--method 'minference:pattern=vertical-slash,vertical=1000,label=mi vs'"), "\(phrases)")
        XCTAssertEqual(phrases.joined(separator: " "), spec.commandLine)
    }
}
