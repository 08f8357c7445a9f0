import Foundation

/// Which characters the dashboard can send to the terminal. ncursesw encodes wide
/// characters in the locale's codeset, so under the C locale (what a fresh container or a
/// bare `env -i` gives) every box line, heatmap block and ✓ would come out blank.
enum TerminalCharset: Equatable {
    /// The user's locale is UTF-8.
    case utf8
    /// The locale was C or POSIX, which names no charset, and LC_CTYPE was switched to a
    /// UTF-8 locale, as Python does (PEP 538): terminals today speak UTF-8.
    case coercedUTF8(locale: String)
    /// A non-UTF-8 locale the user chose (or C with no UTF-8 locale installed): cells are
    /// drawn in ASCII (`AsciiGlyphs`).
    case ascii(locale: String)

    /// UTF-8 locales tried, in order, when the user's is C or POSIX.
    static let coercionTargets = ["C.UTF-8", "C.utf8", "en_US.UTF-8"]

    /// Sets the process locale from the environment and decides, switching LC_CTYPE to
    /// UTF-8 when `decide` says so. Call before ncurses starts.
    static func select() -> TerminalCharset {
        setlocale(LC_ALL, "")
        let ctype = currentName()
        return decide(ctype: ctype, codeset: currentCodeset(), lcAll: ProcessInfo.processInfo.environment["LC_ALL"] ?? "") {
            if let target = coercionTargets.first(where: { setlocale(LC_CTYPE, $0) != nil && isUTF8(currentCodeset()) }) {
                return target
            }
            setlocale(LC_CTYPE, ctype)
            return nil
        }
    }

    /// The decision alone: `ctype` and `codeset` are the locale in effect after
    /// `setlocale(LC_ALL, "")`; `lcAll` the environment's LC_ALL, which, as in PEP 538, is
    /// an explicit choice that is not overridden; `coerce` switches LC_CTYPE to a UTF-8
    /// locale and returns its name, or nil if none is installed.
    static func decide(ctype: String, codeset: String, lcAll: String, coerce: () -> String?) -> TerminalCharset {
        if isUTF8(codeset) { return .utf8 }
        if ["C", "POSIX"].contains(ctype), lcAll.isEmpty, let target = coerce() { return .coercedUTF8(locale: target) }
        return .ascii(locale: ctype)
    }

    /// "UTF-8", "utf8", "UTF8" all name UTF-8.
    static func isUTF8(_ codeset: String) -> Bool {
        codeset.lowercased().replacingOccurrences(of: "-", with: "") == "utf8"
    }

    var isASCII: Bool {
        if case .ascii = self { true } else { false }
    }

    /// What the user is told at start-up, or nil when nothing is lost.
    var notice: String? {
        guard case .ascii(let locale) = self else { return nil }
        return "locale \(locale) is not UTF-8: drawing in ASCII, heatmaps show every other row; "
            + "run with LANG=C.UTF-8 (or another UTF-8 locale) for the full display"
    }

    private static func currentName() -> String {
        setlocale(LC_CTYPE, nil).map { String(cString: $0) } ?? "C"
    }

    private static func currentCodeset() -> String {
        String(cString: nl_langinfo(nl_item(CODESET)))
    }
}
