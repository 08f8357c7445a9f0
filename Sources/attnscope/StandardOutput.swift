import ArgumentParser
import Foundation

/// Whether what was printed reached standard output. `print` drops write errors, so
/// `attnscope run --csv - > results.csv` on a full disk would leave a truncated file and exit 0.
enum StandardOutput {
    /// Flushes the C streams; nil if that succeeded, else the reason it failed. (A stream's
    /// error flag would also catch a transient failure earlier on, but Swift 6 does not let
    /// this code name `stdout`; a full disk or a closed reader still fails this last flush.)
    static func flushFailure() -> String? {
        errno = 0
        guard fflush(nil) != 0 else { return nil }
        return errno != 0 ? String(cString: strerror(errno)) : "a write failed"
    }
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
        if let reason = StandardOutput.flushFailure() {
            FileHandle.standardError.write(Data("attnscope: error: cannot write to standard output: \(reason)\n".utf8))
            exit(withError: ExitCode(64))
        }
    }
}
