// A narrow C face of ncurses for asynctop's terminal backend. Swift cannot call ncurses' macros
// (COLOR_PAIR, getmaxyx, stdscr in some builds), and the monitor needs only a handful of operations, so this
// shim exposes exactly those, plus the signal handling that guarantees the terminal is restored.
#ifndef CNCURSES_H
#define CNCURSES_H

#include <stdbool.h>

/// Attribute bits for cn_put, combined with a colour (CN_COLOR_*, 0 = default).
enum {
    CN_BOLD = 1 << 8,
    CN_REVERSE = 1 << 9,
    CN_DIM = 1 << 10,
    CN_UNDERLINE = 1 << 11,
};
enum {
    CN_COLOR_NONE = 0,
    CN_COLOR_RED = 1,
    CN_COLOR_GREEN = 2,
    CN_COLOR_YELLOW = 3,
    CN_COLOR_BLUE = 4,
    CN_COLOR_MAGENTA = 5,
    CN_COLOR_CYAN = 6,
    CN_COLOR_HEADER = 7,
};

/// Key codes returned by cn_read_key besides plain bytes.
enum {
    CN_KEY_NONE = -1,
    CN_KEY_UP = 0x1000, CN_KEY_DOWN, CN_KEY_LEFT, CN_KEY_RIGHT, CN_KEY_PAGE_UP, CN_KEY_PAGE_DOWN,
    CN_KEY_HOME, CN_KEY_END, CN_KEY_ENTER, CN_KEY_BACKSPACE, CN_KEY_RESIZE, CN_KEY_BACKTAB,
    /// The terminal went away (hang-up): the monitor must stop.
    CN_KEY_HANGUP,
};

/// True if the current locale (after setlocale(LC_ALL, "")) encodes text as UTF-8.
bool cn_locale_is_utf8(void);

/// True if terminfo knows `term` and it can move the cursor (`cup`): TERM=dumb, an unset or an unknown TERM cannot,
/// and the monitor would draw a blank screen. Reads the terminfo entry only; the terminal is left alone.
bool cn_terminal_can_address(const char *term);

/// Takes over the terminal. `want_color` false (NO_COLOR, --no-color) keeps it monochrome. Returns true if
/// colours are in use. Installs handlers so that SIGINT/SIGTERM request a quit and crashes restore the
/// terminal before the process dies.
bool cn_start(bool want_color);

/// Gives the terminal back (idempotent).
void cn_stop(void);

/// True once SIGINT or SIGTERM arrived.
bool cn_quit_requested(void);

void cn_size(int *rows, int *cols);
void cn_clear(void);
/// Makes the next present repaint every cell (after a resize the terminal's contents are unknown).
void cn_repaint_all(void);
/// Writes UTF-8 text at (row, col) with attributes. The caller fits the text to the screen.
void cn_put(int row, int col, const char *utf8, int attributes);
void cn_present(void);
/// Waits up to `timeout_ms` for a key; CN_KEY_NONE if none.
int cn_read_key(int timeout_ms);

#endif
