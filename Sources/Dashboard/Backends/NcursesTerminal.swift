import AttentionEngine
import CNcursesw
import Foundation

/// What the terminal reports between frames.
enum TerminalInput {
    case key(Key)
    case resize
}

/// The ncurses backend: opens the terminal with `newterm` (which fails instead of exiting
/// on an unknown TERM), flushes cell buffers as wide characters in 256 colours — only the
/// cells that changed since the last frame — and reads keys with a timeout.
/// All curses calls happen on the thread that owns this object.
final class NcursesTerminal {
    private let screen: OpaquePointer
    /// Whether the terminal shows 256 colours (and NO_COLOR is not set).
    let colour: Bool
    /// Whether cells go out as UTF-8 or in ASCII.
    let charset: TerminalCharset
    private var pairs: [PairKey: Int32] = [:]
    private var nextPair: Int32 = 1
    private let maxPairs: Int32
    private var previous: CellBuffer?

    private struct PairKey: Hashable { var fg: Color; var bg: Color }

    /// Milliseconds ncurses waits after Esc for the rest of an escape sequence.
    static let escapeDelay: Int32 = 25

    init(noColour: Bool) throws {
        charset = TerminalCharset.select()
        TerminalGuard.saveTerminalModes()
        guard let output = fdopen(STDOUT_FILENO, "w"), let input = fdopen(STDIN_FILENO, "r") else {
            throw EngineError.internal("cannot open the terminal streams")
        }
        guard let s = newterm(nil, output, input) else {
            throw EngineError.usage("TERM '\(ProcessInfo.processInfo.environment["TERM"] ?? "")' is not a terminal ncurses knows")
        }
        screen = s
        raw()
        noecho()
        nonl()
        keypad(attnscope_stdscr(), true)
        curs_set(0)
        set_escdelay(NcursesTerminal.escapeDelay)
        var useColour = false
        if !noColour && has_colors() && start_color() == OK && attnscope_colors() >= 256 {
            use_default_colors()
            useColour = true
        }
        colour = useColour
        maxPairs = useColour ? Int32(attnscope_color_pairs()) : 0
        TerminalGuard.install(leave: NcursesTerminal.leaveSequence())
    }

    /// The terminal's own codes for leaving the alternate screen, showing the cursor,
    /// resetting attributes and leaving keypad mode, for the crash handler.
    static func leaveSequence() -> [UInt8] {
        var bytes: [UInt8] = []
        for cap in ["sgr0", "cnorm", "rmkx", "rmcup"] {
            guard let p = cap.withCString({ tigetstr(UnsafeMutablePointer(mutating: $0)) }),
                  Int(bitPattern: p) != -1 else { continue }
            bytes += Array(String(cString: p).utf8)
        }
        return bytes + Array("\r\n".utf8)
    }

    var size: (width: Int, height: Int) {
        var rows: Int32 = 0, cols: Int32 = 0
        attnscope_screen_size(&rows, &cols)
        return (Int(cols), Int(rows))
    }

    /// Draws the cells that differ from the previous frame, then updates the terminal.
    func flush(_ buf: CellBuffer) {
        let full = previous.map { $0.width != buf.width || $0.height != buf.height } ?? true
        let ascii = charset.isASCII
        for y in 0..<buf.height {
            for x in 0..<buf.width {
                let cell = buf[x, y]
                if !full, let prev = previous, prev[x, y] == cell { continue }
                let symbol = ascii ? AsciiGlyphs.fallback(cell.symbol) : cell.symbol
                attnscope_put_cell(Int32(y), Int32(x), wchar_t(symbol.value), attributes(cell.style), pair(cell.style))
            }
        }
        wnoutrefresh(attnscope_stdscr())
        doupdate()
        previous = buf
    }

    /// The next key or resize, or nil if none arrived within `milliseconds`.
    func read(timeout milliseconds: Int32) -> TerminalInput? {
        wtimeout(attnscope_stdscr(), milliseconds)
        var ch: wint_t = 0
        let r = wget_wch(attnscope_stdscr(), &ch)
        if r == ERR { return nil }
        if r == KEY_CODE_YES {
            let keys: [Int32: Key] = [
                KEY_UP: .up, KEY_DOWN: .down, KEY_LEFT: .left, KEY_RIGHT: .right, KEY_ENTER: .enter,
                KEY_BACKSPACE: .backspace, KEY_DC: .delete, KEY_HOME: .home, KEY_END: .end,
                KEY_PPAGE: .pageUp, KEY_NPAGE: .pageDown, KEY_BTAB: .backTab,
            ]
            if Int32(ch) == KEY_RESIZE { previous = nil; return .resize }
            return keys[Int32(ch)].map(TerminalInput.key)
        }
        switch ch {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 8, 127: return .key(.backspace)
        case 1...26: return .key(.ctrl(Character(Unicode.Scalar(UInt8(ch) + 96))))
        default: return Unicode.Scalar(UInt32(ch)).map { .key(.char(Character($0))) }
        }
    }

    /// Ctrl-Z (read as a key in raw mode): gives the terminal back to the shell and stops
    /// the process group, as the terminal itself would; on `fg`, redraws everything.
    func suspend() {
        endwin()
        var previousAction = sigaction(), defaultAction = sigaction()
        defaultAction.__sigaction_handler.sa_handler = SIG_DFL
        sigaction(SIGTSTP, &defaultAction, &previousAction)
        kill(0, SIGTSTP)  // returns after SIGCONT
        sigaction(SIGTSTP, &previousAction, nil)
        previous = nil
        clearok(attnscope_stdscr(), true)
        wrefresh(attnscope_stdscr())
    }

    /// Restores the terminal as it was before.
    func close() {
        endwin()
        delscreen(screen)
        TerminalGuard.uninstall()
    }

    private func attributes(_ s: Style) -> attr_t {
        var a = attnscope_a_normal()
        if s.attributes.contains(.bold) { a |= attnscope_a_bold() }
        if s.attributes.contains(.dim) { a |= attnscope_a_dim() }
        if s.attributes.contains(.reverse) { a |= attnscope_a_reverse() }
        if s.attributes.contains(.underline) { a |= attnscope_a_underline() }
        if s.attributes.contains(.italic) { a |= attnscope_a_italic() }
        return a
    }

    /// The colour pair for a style's colours, created on first use (0 = terminal defaults).
    private func pair(_ s: Style) -> Int32 {
        guard colour, s.fg != .standard || s.bg != .standard else { return 0 }
        let key = PairKey(fg: s.fg, bg: s.bg)
        if let p = pairs[key] { return p }
        guard nextPair < maxPairs else { return 0 }
        func number(_ c: Color) -> Int32 { if case .index(let i) = c { return Int32(i) } else { return -1 } }
        init_extended_pair(nextPair, number(s.fg), number(s.bg))
        pairs[key] = nextPair
        nextPair += 1
        return pairs[key]!
    }
}
