import Foundation
import Synchronization

/// Keeps the terminal usable whatever happens to the process.
///
/// - SIGTERM, SIGHUP and SIGINT only record the signal; the UI loop sees it within one key
///   timeout and quits the normal way (cancelling work, restoring the terminal).
/// - Crashes (Swift traps arrive as SIGILL or SIGTRAP; also SIGSEGV, SIGBUS, SIGFPE, SIGABRT)
///   restore the terminal from inside the handler with async-signal-safe calls only — the
///   saved termios and the terminal's prepared "leave" sequence written with write(2) —
///   then hand the signal to whoever handled it before (the Swift backtracer, which prints
///   the crash report on the restored screen), and finally die of the signal.
enum TerminalGuard {
    /// The last quit signal received, 0 if none.
    static let pendingSignal = Atomic<Int32>(0)

    static let quitSignals: [Int32] = [SIGTERM, SIGHUP, SIGINT]
    static let crashSignals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT]

    /// State the crash handler reads. Written once, before the handlers are installed.
    nonisolated(unsafe) static var savedTermios = termios()
    nonisolated(unsafe) static var leaveSequence: UnsafeMutableBufferPointer<UInt8>?
    nonisolated(unsafe) static var previousActions = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)

    /// Records the terminal modes to return to; call before curses changes them.
    static func saveTerminalModes() {
        tcgetattr(STDIN_FILENO, &savedTermios)
    }

    /// Installs the quit and crash handlers; `leave` is what puts the terminal back
    /// (leave the alternate screen, show the cursor, reset attributes).
    static func install(leave: [UInt8]) {
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, leave.count))
        _ = buffer.initialize(from: leave)
        leaveSequence = UnsafeMutableBufferPointer(rebasing: buffer[0..<leave.count])
        for sig in quitSignals { setHandler(sig) { s in TerminalGuard.pendingSignal.store(s, ordering: .relaxed) } }
        for sig in crashSignals {
            // SA_NODEFER: the raise below reaches the previous handler at once, inside this one.
            setHandler(sig, flags: SA_NODEFER) { s in
                TerminalGuard.restoreTerminal()
                sigaction(s, TerminalGuard.previousActions + Int(s), nil)
                raise(s)
                // The previous handler returned (a backtracer does): end with the default action.
                signal(s, SIG_DFL)
                raise(s)
            }
        }
    }

    /// Puts back the handlers that were there before `install`.
    static func uninstall() {
        for sig in quitSignals + crashSignals { sigaction(sig, previousActions + Int(sig), nil) }
    }

    /// The quit signal that arrived since the last call, if any.
    static func takePendingSignal() -> Int32? {
        let s = pendingSignal.exchange(0, ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// Async-signal-safe: terminal modes back, then the leave sequence.
    static func restoreTerminal() {
        tcsetattr(STDIN_FILENO, TCSANOW, &savedTermios)
        if let seq = leaveSequence, let base = seq.baseAddress { _ = write(STDOUT_FILENO, base, seq.count) }
    }

    private static func setHandler(_ sig: Int32, flags: Int32 = 0, _ handler: @convention(c) (Int32) -> Void) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = flags
        sigaction(sig, &action, previousActions + Int(sig))
    }
}
