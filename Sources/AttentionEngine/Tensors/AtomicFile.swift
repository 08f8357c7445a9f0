import Foundation

/// Writes a file all at once or not at all: the bytes go to a temporary file beside the
/// target, which is then renamed over it, so a crash or error never leaves half a file.
public enum AtomicFile {
    /// Checks that `path` can be written as a file: a name, not a directory, in an existing
    /// directory where a file can be created (tried, not guessed from permissions, which
    /// root and read-only mounts make misleading). Called before a long run so a bad
    /// destination does not cost it; returns the directory.
    @discardableResult
    public static func checkDestination(_ path: String) throws -> String {
        guard !path.isEmpty else { throw EngineError.usage("an output path is empty") }
        let target = destination(of: path)
        let dir = try existingParent(of: target.path, named: path)
        try checkName(URL(fileURLWithPath: target.path).lastPathComponent, of: "cannot write \(path)")
        guard !FileManager.default.directoryExists(atPath: path) else {
            throw EngineError.usage("cannot write \(path): it is a directory")
        }
        if !target.inPlace { try checkWritable(directory: dir, for: path) }
        return dir
    }

    /// The directory of `path`, which must exist; errors name the path the user gave.
    static func existingParent(of path: String, named given: String) throws -> String {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.directoryExists(atPath: dir) else {
            throw EngineError.usage("cannot write \(given): directory \(dir) does not exist")
        }
        return dir
    }

    /// The longest file name written: the system's 255 bytes, less what the temporary
    /// file's name adds (a dot, and `.<pid>.tmp`).
    public static let maxNameBytes = 255 - 16

    /// Refuses a file name too long to write, before a run rather than after it.
    public static func checkName(_ name: String, of what: String, remedy: String = "give a shorter one") throws {
        let bytes = name.utf8.count
        guard bytes > maxNameBytes else { return }
        throw EngineError.usage("\(what): its file name (\(name.prefix(24))…) is \(bytes) bytes, more than the \(maxNameBytes) allowed: \(remedy)")
    }

    /// Creates and removes a probe file in `directory`; throws naming `target` if it cannot.
    public static func checkWritable(directory: String, for target: String) throws {
        let probe = directory + "/.attnscope-probe.\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw EngineError.usage("cannot write \(target): \(String(cString: strerror(errno)))") }
        close(fd)
        unlink(probe)
    }

    /// Where writing `path` lands, and whether in place. A symbolic link is followed to the
    /// file it names, which the rename then replaces (renaming over the link would turn the
    /// link itself into a file). Devices, pipes and sockets, and anything reached through
    /// /proc (/dev/stdout is a link to /proc/self/fd/1, which stands for whatever the shell
    /// opened), are written in place: a rename would replace them.
    static func destination(of path: String) -> (path: String, inPlace: Bool) {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0 else { return (current, false) }
            if current.hasPrefix("/proc/") { return (current, true) }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                guard let next = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { return (current, false) }
                current = next.hasPrefix("/") ? next
                    : URL(fileURLWithPath: current).deletingLastPathComponent().appendingPathComponent(next).path
            case S_IFREG, S_IFDIR: return (current, false)
            default: return (current, true)
            }
        }
        return (current, false)  // a loop of links: open() reports it
    }

    public static func write(_ data: Data, to path: String) throws {
        let target = destination(of: path)
        if target.inPlace {
            // Appended: /dev/stdout redirected to a file already holds the table printed before.
            try writeNew(data, at: path, flags: O_WRONLY | O_APPEND, reportedAs: path)
            return
        }
        let tmp = try existingParent(of: target.path, named: path) + "/." + URL(fileURLWithPath: target.path).lastPathComponent + ".\(getpid()).tmp"
        do { try writeNew(data, at: tmp, flags: O_WRONLY | O_CREAT | O_TRUNC, reportedAs: path) } catch {
            unlink(tmp)
            throw error
        }
        if rename(tmp, target.path) != 0 {
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
