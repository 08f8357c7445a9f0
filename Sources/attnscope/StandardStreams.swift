import ArgumentParser
import AttentionEngine
import Foundation
import Synchronization

/// Standard output and error, written so that a full, closed or broken stream is an error
/// message or is ignored, never a crash or a silent success: `FileHandle.write(_:)` traps on
/// a failed write, and `print` drops its errors (`attnscope run --csv - > results.csv` on a
/// full disk would leave a truncated file and exit 0).
enum StandardStreams {
    /// Why a write to stdout failed, the first time one did.
    private static let outputFailure = Mutex<String?>(nil)

    /// Writes `bytes` to stdout with write(2), unbuffered, retrying partial writes.
    static func output(_ bytes: Data) {
        guard let reason = writeAll(bytes, to: STDOUT_FILENO) else { return }
        outputFailure.withLock { if $0 == nil { $0 = reason } }
    }

    static func output(_ text: String) { output(Data(text.utf8)) }

    /// Writes to stderr; if stderr cannot take it there is nowhere left to say so.
    static func error(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }

    /// Nil if every `output` reached stdout, else why one did not.
    static var failure: String? { outputFailure.withLock { $0 } }
}

extension AttnScope {
    /// ArgumentParser's `main`, plus a check that the output was written: a failed write to
    /// stdout exits 64, like a failed write to a `--csv` or `--json` file.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
        if let reason = StandardStreams.failure {
            StandardStreams.error("attnscope: error: cannot write to standard output: \(reason)\n")
            exit(withError: ExitCode(64))
        }
    }
}
