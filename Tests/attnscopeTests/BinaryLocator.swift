import Foundation

/// Runs the built `attnscope` executable (the one next to the test bundle, same build
/// configuration) and captures what it prints.
enum Attnscope {
    static var url: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("attnscope")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/attnscope")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs with stdin from /dev/null (so never a terminal) and waits at most `timeout` seconds;
    /// stdout and stderr go to `standardOutput` and `standardError` when given (then the
    /// result's text for them is empty).
    static func run(_ arguments: [String], timeout: TimeInterval = 120, environment: [String: String]? = nil,
                    directory: String? = nil, standardOutput: FileHandle? = nil, standardError: FileHandle? = nil) throws -> Result {
        let p = Process()
        p.executableURL = url
        p.arguments = arguments
        if let environment { p.environment = environment }
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory, isDirectory: true) }
        // Output goes to files, not pipes, so a large output can never block the child.
        let base = NSTemporaryDirectory() + "attnscope-run-" + UUID().uuidString
        try Data().write(to: URL(fileURLWithPath: base + ".out"))
        try Data().write(to: URL(fileURLWithPath: base + ".err"))
        defer { try? FileManager.default.removeItem(atPath: base + ".out"); try? FileManager.default.removeItem(atPath: base + ".err") }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = standardOutput ?? FileHandle(forWritingAtPath: base + ".out")
        p.standardError = standardError ?? FileHandle(forWritingAtPath: base + ".err")
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        let outData = FileManager.default.contents(atPath: base + ".out") ?? Data()
        let errData = FileManager.default.contents(atPath: base + ".err") ?? Data()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
