import Foundation

extension FileManager {
    /// Whether `path` exists and is a directory (not a file of that name).
    public func directoryExists(atPath path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
