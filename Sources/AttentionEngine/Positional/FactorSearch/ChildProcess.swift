import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `/bin/sh -c COMMAND` with bytes on its stdin, collects stdout and stderr, and never
/// waits longer than a deadline. The child starts a process group of its own, so a timeout
/// or a cancellation kills the shell *and* everything it started (a `sleep` in a script
/// would otherwise keep the output pipe open and the reader blocked). Pipes are
/// close-on-exec, so children spawned at the same time by other workers do not inherit them.
enum ChildProcess {
    struct Finished: Sendable {
        /// Exit status, or nil when a signal ended the shell.
        var exitStatus: Int32?
        var signal: Int32?
        var stdout: Data
        var stderr: Data
    }

    enum Outcome: Sendable {
        case finished(Finished)
        case timedOut
        case cancelled
        case failedToStart(String)
    }

    static let spawnLock = Mutex(())

    /// Output beyond this many bytes per stream is read and dropped.
    static let outputLimit = 1 << 20

    static func run(command: String, input: Data, timeout: Double, cancellation: CancellationFlag,
                    environment: [String: String] = ProcessInfo.processInfo.environment) -> Outcome {
        // A child that exits without reading its stdin must not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        // Pipes are made close-on-exec and the child spawned under one lock, so no other
        // worker's child can inherit a pipe end in between (which would hold it open).
        let started: (Pipe, Pipe, Pipe, pid_t, Int32)? = spawnLock.withLock { _ in
            guard let i = Pipe.make(), let o = Pipe.make(), let e = Pipe.make() else { return nil }
            var pid: pid_t = 0
            let rc = spawn(command, stdin: i.read, stdout: o.write, stderr: e.write, environment: environment, pid: &pid)
            for fd in [i.read, o.write, e.write] { close(fd) }
            return (i, o, e, pid, rc)
        }
        guard let (stdinPipe, stdoutPipe, stderrPipe, pid, spawned) = started else {
            return .failedToStart("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        guard spawned == 0 else {
            for fd in [stdinPipe.write, stdoutPipe.read, stderrPipe.read] { close(fd) }
            return .failedToStart("cannot start /bin/sh: \(String(cString: strerror(spawned)))")
        }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(timeout, 0) * 1e9)
        writeAll(stdinPipe.write, input)
        close(stdinPipe.write)

        var streams = [Data(), Data()]
        var fds = [pollfd(fd: stdoutPipe.read, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stderrPipe.read, events: Int16(POLLIN), revents: 0)]
        defer { for f in fds where f.fd >= 0 { close(f.fd) } }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        var status: Int32 = 0
        while true {
            if cancellation.isCancelled { killGroup(pid); return .cancelled }
            let now = DispatchTime.now().uptimeNanoseconds
            if now >= deadline { killGroup(pid); return .timedOut }
            if fds.contains(where: { $0.fd >= 0 }) {
                let wait = Int32(min((deadline - now) / 1_000_000, 50)) + 1
                if poll(&fds, nfds_t(fds.count), wait) > 0 {
                    for k in fds.indices where fds[k].fd >= 0 && fds[k].revents != 0 {
                        if readChunk(fds[k].fd, into: &streams[k], buffer: buffer) == 0 {
                            close(fds[k].fd)
                            fds[k].fd = -1
                        }
                    }
                }
            } else {
                usleep(2000)
            }
            // Once the shell has exited, take what it already wrote and stop: a descendant
            // may still hold the pipes open, and it is killed below.
            if waitpid(pid, &status, WNOHANG) == pid {
                for k in fds.indices where fds[k].fd >= 0 {
                    while poll(&fds[k], 1, 0) > 0, fds[k].revents != 0, readChunk(fds[k].fd, into: &streams[k], buffer: buffer) > 0 {}
                }
                break
            }
        }
        // Anything the script left running in the background goes with it.
        kill(-pid, SIGKILL)
        let signalled = status & 0x7f != 0
        return .finished(Finished(exitStatus: signalled ? nil : (status >> 8) & 0xff, signal: signalled ? status & 0x7f : nil,
                                  stdout: streams[0], stderr: streams[1]))
    }

    /// One read into `stream` (kept under `outputLimit`); returns the byte count, 0 at end of
    /// file or on an error other than an interruption.
    static func readChunk(_ fd: Int32, into stream: inout Data, buffer: UnsafeMutableRawPointer) -> Int {
        while true {
            let n = read(fd, buffer, 65536)
            if n < 0 && errno == EINTR { continue }
            if n > 0 && stream.count < outputLimit { stream.append(buffer.assumingMemoryBound(to: UInt8.self), count: n) }
            return max(n, 0)
        }
    }

    /// posix_spawn of `/bin/sh -c command` as the leader of a new process group, SIGPIPE back
    /// to its default; returns 0 or an errno.
    static func spawn(_ command: String, stdin: Int32, stdout: Int32, stderr: Int32,
                      environment: [String: String], pid: inout pid_t) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attr, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        let args: [UnsafeMutablePointer<CChar>?] = ["sh", "-c", command].map { (s: String) in strdup(s) } + [nil]
        let env: [UnsafeMutablePointer<CChar>?] = environment.map { (k: String, v: String) in strdup(k + "=" + v) } + [nil]
        defer { for p in args + env { free(p) } }
        return posix_spawn(&pid, "/bin/sh", &actions, &attr, args, env)
    }

    static func killGroup(_ pid: pid_t) {
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    static func writeAll(_ fd: Int32, _ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if errno != EINTR { return }  // EPIPE: the child stopped reading
            }
        }
    }

    /// A pipe whose two ends are close-on-exec.
    struct Pipe {
        let read: Int32
        let write: Int32

        static func make() -> Pipe? {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { return nil }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return Pipe(read: fds[0], write: fds[1])
        }
    }
}
