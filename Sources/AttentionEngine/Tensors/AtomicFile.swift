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
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw EngineError.usage("cannot write \(path): permission denied")
            }
            defer { try? handle.close() }
            do { try handle.write(contentsOf: data) } catch {
                throw EngineError.usage("cannot write \(path): \(error.localizedDescription)")
            }
            return
        }
        let url = URL(fileURLWithPath: path)
        let dir = try checkParent(of: path)
        let tmp = dir + "/." + url.lastPathComponent + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw EngineError.usage("cannot write \(path): permission denied or disk full")
        }
        if rename(tmp, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw EngineError.usage("cannot write \(path): \(reason)")
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
