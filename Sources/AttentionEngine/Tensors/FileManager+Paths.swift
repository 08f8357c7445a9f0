import Foundation

extension FileManager {
    /// Whether `path` exists and is a directory (not a file of that name).
    public func directoryExists(atPath path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The whole of a small file a user named (a preset, a config, a factor file), or an
    /// error naming it as `source` and saying why not. FileManager reads only regular files,
    /// so a FIFO or device is refused at once rather than waited on.
    func contents(atPath path: String, naming source: String) throws -> Data {
        if let data = contents(atPath: path) { return data }
        throw EngineError.data("\(source): \(whyUnreadable(atPath: path))")
    }

    /// Why `path` cannot be read as a file, in the words every file error uses.
    func whyUnreadable(atPath path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return errno == ENOENT ? "no such file" : "cannot be read" }
        return FileManager.whyUnreadable(mode: info.st_mode)
    }

    /// The same, from a file's mode (`st_mode`) when its type is what is wrong.
    static func whyUnreadable(mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "is a directory, not a file"
        case S_IFREG: "cannot be read"
        default: "not a regular file (a pipe, socket or device)"
        }
    }
}
