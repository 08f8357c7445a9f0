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

    func isLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }

    /// A link is written through: the file it names is replaced, the link stays a link
    /// (relative links, chains of them, and a dangling one, whose target is created).
    func testWritesThroughSymbolicLinks() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        try AtomicFile.write("old\n", to: dir + "/sub/real.csv")
        XCTAssertEqual(symlink("sub/real.csv", dir + "/link.csv"), 0)
        XCTAssertEqual(symlink("link.csv", dir + "/chain.csv"), 0)
        try AtomicFile.checkDestination(dir + "/chain.csv")
        try AtomicFile.write("new\n", to: dir + "/chain.csv")
        XCTAssertTrue(isLink(dir + "/link.csv") && isLink(dir + "/chain.csv"), "the links stay links")
        XCTAssertEqual(try String(contentsOfFile: dir + "/sub/real.csv", encoding: .utf8), "new\n")
        XCTAssertEqual(symlink("sub/absent.csv", dir + "/dangling.csv"), 0)
        try AtomicFile.write("made\n", to: dir + "/dangling.csv")
        XCTAssertTrue(isLink(dir + "/dangling.csv"))
        XCTAssertEqual(try String(contentsOfFile: dir + "/sub/absent.csv", encoding: .utf8), "made\n")
    }

    /// /dev/stdout with the shell's `> file` is a link into /proc/self/fd: written in place,
    /// after what stdout already holds, never renamed over (which replaced /dev/stdout itself
    /// with a regular file).
    func testWritesInPlaceThroughProc() throws {
        let dir = try temporaryDirectory()
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/redirected.txt", contents: nil))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: dir + "/redirected.txt"))
        defer { try? handle.close() }
        XCTAssertEqual(symlink("/proc/self/fd/\(handle.fileDescriptor)", dir + "/stdout"), 0)
        try handle.write(contentsOf: Data("table\n".utf8))
        try AtomicFile.write("csv\n", to: dir + "/stdout")
        XCTAssertTrue(isLink(dir + "/stdout"), "still a link")
        XCTAssertEqual(try String(contentsOfFile: dir + "/redirected.txt", encoding: .utf8), "table\ncsv\n")
    }

    /// A regular file under /dev (/dev/shm) is replaced whole, not written in place like a device.
    func testReplacesARegularFileUnderDevWhole() throws {
        guard FileManager.default.directoryExists(atPath: "/dev/shm") else {
            throw XCTSkip("no /dev/shm on this machine: no regular file under /dev to write")
        }
        let shm = "/dev/shm/attnscope-test-\(getpid()).csv"
        defer { unlink(shm) }
        try AtomicFile.write("old contents, longer\n", to: shm)
        try AtomicFile.write("new\n", to: shm)
        XCTAssertEqual(try String(contentsOfFile: shm, encoding: .utf8), "new\n")
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
