// Wide-character ncurses for Swift. SwiftPM drops pkg-config's -D_XOPEN_SOURCE, so the
// wide API must be switched on here, before the header (DESIGN.md §3).
#ifndef ATTNSCOPE_CNCURSESW_SHIM_H
#define ATTNSCOPE_CNCURSESW_SHIM_H
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncurses.h>
#endif
