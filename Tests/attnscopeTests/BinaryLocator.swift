import Foundation

/// The built `attnscope` executable next to the test bundle (same build configuration).
enum BinaryLocator {
    static var url: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("attnscope")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/attnscope")
    }
}
