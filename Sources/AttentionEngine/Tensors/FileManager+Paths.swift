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
        var info = stat()
        let why = stat(path, &info) != 0 ? (errno == ENOENT ? "no such file" : "cannot be read")
            : info.st_mode & S_IFMT == S_IFDIR ? "is a directory, not a file"
            : info.st_mode & S_IFMT == S_IFREG ? "cannot be read" : "not a regular file (a pipe, socket or device)"
        throw EngineError.data("\(source): \(why)")
    }
}
