import Foundation
import XCTest

final class ExitCodeTests: XCTestCase {
    func testNoTerminalGivesUsageExit() throws {
        let p = Process()
        p.executableURL = BinaryLocator.url
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = Pipe()
        p.standardError = Pipe()
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 64)
    }
}
