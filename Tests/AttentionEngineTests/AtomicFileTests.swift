import AttentionEngine
import Foundation
import TestSupport
import XCTest

final class AtomicFileTests: XCTestCase {
    func testReplacesARegularFileWhole() throws {
        let path = try temporaryDirectory() + "/out.csv"
        try AtomicFile.write("old contents, longer\n", to: path)
        try AtomicFile.write("new\n", to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new\n")
    }

    /// A FIFO (like /dev/null or /dev/stdout) is written into, not renamed over.
    func testWritesIntoAFifoInsteadOfReplacingIt() throws {
        let path = try temporaryDirectory() + "/pipe"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        let received = LockedData()
        let reader = Thread {
            if let h = FileHandle(forReadingAtPath: path) { received.set(h.readDataToEndOfFile()) }
        }
        reader.start()
        try AtomicFile.write("through the pipe\n", to: path)
        for _ in 0..<200 where received.get() == nil { usleep(10_000) }
        XCTAssertEqual(received.get().map { String(decoding: $0, as: UTF8.self) }, "through the pipe\n")
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFIFO, "still a FIFO")
    }

    /// A failed write names the system's reason, so "disk full" and "permission denied" are
    /// told apart, and a device stays a device.
    func testAFailedWriteSaysWhy() throws {
        XCTAssertThrowsError(try AtomicFile.write("x\n", to: "/dev/full")) { error in
            XCTAssertEqual("\(error)", "cannot write /dev/full: No space left on device")
        }
        var info = stat()
        XCTAssertEqual(stat("/dev/full", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "still a device")
    }
}

private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data? { lock.lock(); defer { lock.unlock() }; return data }
}
