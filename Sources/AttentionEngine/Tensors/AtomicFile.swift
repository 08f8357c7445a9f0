import Foundation

/// Writes a file all at once or not at all: the bytes go to a temporary file beside the
/// target, which is then renamed over it, so a crash or error never leaves half a file.
public enum AtomicFile {
    /// Checks that `path`'s directory exists, so a destination can be refused before a long
    /// run rather than after it; returns the directory.
    @discardableResult
    public static func checkParent(of path: String) throws -> String {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.directoryExists(atPath: dir) else {
            throw EngineError.usage("cannot write \(path): directory \(dir) does not exist")
        }
        return dir
    }

    public static func write(_ data: Data, to path: String) throws {
        // Devices, pipes and sockets (/dev/null, /dev/stdout, a FIFO) are written in place:
        // renaming over one would replace it with a regular file.
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG && (info.st_mode & S_IFMT) != S_IFDIR {
            try writeNew(data, at: path, flags: O_WRONLY, reportedAs: path)
            return
        }
        let url = URL(fileURLWithPath: path)
        let tmp = try checkParent(of: path) + "/." + url.lastPathComponent + ".\(getpid()).tmp"
        do { try writeNew(data, at: tmp, flags: O_WRONLY | O_CREAT | O_TRUNC, reportedAs: path) } catch {
            unlink(tmp)
            throw error
        }
        if rename(tmp, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw EngineError.usage("cannot write \(path): \(reason)")
        }
    }

    /// Opens `file`, writes every byte and closes it; a failure at any step is a usage error
    /// about `target` with the system's reason ("No space left on device", "Permission denied").
    private static func writeNew(_ data: Data, at file: String, flags: Int32, reportedAs target: String) throws {
        let fd = open(file, flags | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw EngineError.usage("cannot write \(target): \(String(cString: strerror(errno)))")
        }
        var reason = writeAll(data, to: fd)
        // close(2) is where some file systems (NFS) first report a full disk.
        if close(fd) != 0 && reason == nil { reason = String(cString: strerror(errno)) }
        if let reason { throw EngineError.usage("cannot write \(target): \(reason)") }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
