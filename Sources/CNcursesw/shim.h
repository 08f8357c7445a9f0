// Wide-character ncurses for Swift. SwiftPM drops pkg-config's -D_XOPEN_SOURCE, so the
// wide API must be switched on here, before the header (DESIGN.md §3).
//
// Function-like macros (getmaxyx, A_BOLD, ...) do not import into Swift, and Swift 6 rejects
// the mutable C globals (stdscr, COLORS, ...), so both are wrapped in static inline shims.
#ifndef ATTNSCOPE_CNCURSESW_SHIM_H
#define ATTNSCOPE_CNCURSESW_SHIM_H
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncurses.h>
#include <term.h>
#include <wchar.h>

static inline WINDOW *attnscope_stdscr(void) { return stdscr; }
static inline int attnscope_colors(void) { return COLORS; }
static inline int attnscope_color_pairs(void) { return COLOR_PAIRS; }

/// Terminal size of the standard screen, rows then columns.
static inline void attnscope_screen_size(int *rows, int *cols) {
    int y, x;
    getmaxyx(stdscr, y, x);
    *rows = y;
    *cols = x;
}

static inline attr_t attnscope_a_normal(void) { return A_NORMAL; }
static inline attr_t attnscope_a_bold(void) { return A_BOLD; }
static inline attr_t attnscope_a_dim(void) { return A_DIM; }
static inline attr_t attnscope_a_reverse(void) { return A_REVERSE; }
static inline attr_t attnscope_a_underline(void) { return A_UNDERLINE; }
static inline attr_t attnscope_a_italic(void) { return A_ITALIC; }

/// Writes one character cell at (y, x) of the standard screen. The colour pair goes through
/// setcchar's `opts` pointer, which carries pair numbers above 255 (COLOR_PAIR cannot).
static inline int attnscope_put_cell(int y, int x, wchar_t ch, attr_t attrs, int pair) {
    wchar_t text[2] = {ch, 0};
    cchar_t cell;
    if (setcchar(&cell, text, attrs, 0, &pair) != OK) return ERR;
    return mvwadd_wch(stdscr, y, x, &cell);
}

/// Whether terminfo describes `term`, checked without printing anything and without
/// disturbing the current terminal (newterm would fail later; initscr would exit).
static inline int attnscope_terminfo_known(const char *term) {
    int err = 0;
    TERMINAL *saved = cur_term;
    int ok = setupterm(term, 1, &err) == OK;
    TERMINAL *loaded = cur_term;
    set_curterm(saved);
    if (ok && loaded != saved) del_curterm(loaded);
    return ok;
}

#endif
