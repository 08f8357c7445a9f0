import Foundation

/// Runs the built `attnscope` with arguments (and optional stdin) and collects what it said.
struct BinaryRun {
    var status: Int32
    var stdout: String
    var stderr: String

    init(_ arguments: [String], stdin: String? = nil, directory: String? = nil) throws {
        let p = Process()
        p.executableURL = BinaryLocator.url
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let (out, err, input) = (Pipe(), Pipe(), Pipe())
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try p.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
        let errData = ErrorReader(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        status = p.terminationStatus
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData.finish(), as: UTF8.self)
    }

    /// Reads a pipe on a background thread.
    final class ErrorReader: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }
        func finish() -> Data { done.wait(); return data }
    }

    /// stdout parsed as one JSON object.
    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] ?? [:]
    }
}
