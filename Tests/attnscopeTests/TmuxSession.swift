import Foundation
import XCTest

/// A private tmux server running one command in a pane of a given size, for driving the
/// real binary as a person would: send keys, read the screen (with colours), resize.
final class TmuxSession {
    let tmux: String
    let socket = "attnscope-test-\(UUID().uuidString.prefix(8))"
    let name = "e2e"

    /// The tmux executable on PATH (or in /usr/bin), nil if there is none.
    static var executable: String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return dirs.map { $0 + "/tmux" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(width: Int, height: Int, command: String) throws {
        guard let tmux = TmuxSession.executable else {
            throw NSError(domain: "tmux", code: 1, userInfo: [NSLocalizedDescriptionKey: "tmux not found on PATH (.ci/run installs it)"])
        }
        self.tmux = tmux
        // The server this starts keeps any pipe it inherits open, so its output is not read.
        let status = run(["-f", "/dev/null", "new-session", "-d", "-x", "\(width)", "-y", "\(height)", "-s", name, command],
                         readOutput: false).0
        guard status == 0 else {
            throw NSError(domain: "tmux", code: Int(status), userInfo: [NSLocalizedDescriptionKey: "tmux new-session failed"])
        }
    }

    deinit { run(["kill-server"], readOutput: false) }

    /// Runs tmux with `args` on this session's server and returns its exit status and output.
    /// Uses popen/pclose rather than Foundation's Process: a tmux client that starts the
    /// server was seen left unreaped (a zombie) by Process, hanging `waitUntilExit`.
    @discardableResult
    func run(_ args: [String], readOutput: Bool = true) -> (Int32, String) {
        var command = ([tmux, "-L", socket] + args).map(TmuxSession.quoted).joined(separator: " ")
        // The server a client starts keeps whatever it inherits open, so never our pipe.
        command += readOutput ? " 2>/dev/null" : " >/dev/null 2>&1"
        guard let pipe = popen(command, "r") else { return (-1, "") }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, pipe)
            if n <= 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        let status = pclose(pipe)
        return ((status >> 8) & 0xFF, String(decoding: data, as: UTF8.self))
    }

    static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The visible screen; with `colours`, as SGR escape sequences too.
    func screen(colours: Bool = false) -> String {
        run(["capture-pane", "-p", "-t", name] + (colours ? ["-e"] : [])).1
    }

    func send(_ keys: String...) { run(["send-keys", "-t", name] + keys) }

    /// Types text literally (no key-name lookup).
    func type(_ text: String) { run(["send-keys", "-t", name, "-l", text]) }

    func resize(width: Int, height: Int) { run(["resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"]) }

    /// Polls the screen until `condition` holds; returns the screen then, or nil on timeout.
    @discardableResult
    func waitFor(_ seconds: Double = 20, colours: Bool = false, _ condition: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let s = screen(colours: colours)
            if condition(s) { return s }
            usleep(5_000)
        } while Date() < deadline
        return nil
    }

    /// The process the pane's shell started (the binary under test).
    var childPID: Int32? {
        guard let shell = Int32(run(["display-message", "-p", "-t", name, "#{pane_pid}"]).1
            .trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        let children = (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").first.flatMap { Int32($0) }
    }
}

/// Waits for a file to appear and returns its contents.
func waitForFile(_ path: String, seconds: Double = 20) -> String? {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if let s = try? String(contentsOfFile: path, encoding: .utf8), !s.isEmpty { return s }
        usleep(20_000)
    } while Date() < deadline
    return nil
}
