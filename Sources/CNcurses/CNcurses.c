#define _XOPEN_SOURCE_EXTENDED 1
#include "CNcurses.h"

#include <curses.h>
#include <term.h>
#include <termios.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t quit_requested = 0;
static volatile sig_atomic_t started = 0;
static bool colors = false;

bool cn_locale_is_utf8(void) {
    setlocale(LC_ALL, "");
    const char *codeset = nl_langinfo(CODESET);
    return codeset && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

bool cn_terminal_can_address(const char *term) {
    if (!term || !*term) return false;
    int error = 0;
    if (setupterm((char *)term, STDOUT_FILENO, &error) != OK) return false;
    const char *cup = tigetstr("cup");
    bool can = cup != NULL && cup != (char *)-1;
    del_curterm(cur_term);
    cur_term = NULL;
    return can;
}

static void request_quit(int sig) {
    (void)sig;
    quit_requested = 1;
}

// What a crash handler needs to give the terminal back without ncurses: `endwin()` is not async-signal-safe (it
// can deadlock on a lock the crashed thread holds, as a SIGABRT during a frame did), so the shell's terminal
// settings and the bytes that leave the monitor's screen are saved at start, and the handler only calls `write`
// and `tcsetattr`.
static struct termios shell_termios;
static bool have_shell_termios = false;
static char restore_bytes[256];
static size_t restore_length = 0;

static void add_restore(const char *capability) {
    const char *text = tigetstr((char *)capability);
    if (!text || text == (char *)-1) return;
    size_t length = strlen(text);
    if (restore_length + length >= sizeof restore_bytes) return;
    memcpy(restore_bytes + restore_length, text, length);
    restore_length += length;
}

static void restore_and_die(int sig) {
    if (started) {
        started = 0;
        if (restore_length > 0) {
            ssize_t ignored = write(STDOUT_FILENO, restore_bytes, restore_length);
            (void)ignored;
        }
        if (have_shell_termios) tcsetattr(STDIN_FILENO, TCSANOW, &shell_termios);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_handlers(void) {
    // A parent may have left these blocked (test harnesses, some launchers); a terminal program must get them.
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGHUP);
    sigaddset(&wanted, SIGWINCH);
    int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
    for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++) sigaddset(&wanted, fatal[i]);
    pthread_sigmask(SIG_UNBLOCK, &wanted, NULL);
    struct sigaction quit;
    memset(&quit, 0, sizeof quit);
    quit.sa_handler = request_quit;
    sigemptyset(&quit.sa_mask);
    sigaction(SIGINT, &quit, NULL);
    sigaction(SIGTERM, &quit, NULL);
    sigaction(SIGHUP, &quit, NULL);
    for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        struct sigaction crash;
        memset(&crash, 0, sizeof crash);
        crash.sa_handler = restore_and_die;
        sigemptyset(&crash.sa_mask);
        crash.sa_flags = SA_RESETHAND;
        sigaction(fatal[i], &crash, NULL);
    }
}

bool cn_start(bool want_color) {
    setlocale(LC_ALL, "");
    have_shell_termios = tcgetattr(STDIN_FILENO, &shell_termios) == 0;
    install_handlers();
    initscr();
    // Attributes off, scroll region reset (csr with no arguments is not portable: the whole screen is the default
    // after rmcup), cursor shown, the shell's screen back.
    restore_length = 0;
    add_restore("sgr0");
    add_restore("cnorm");
    add_restore("rmcup");
    started = 1;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    intrflush(stdscr, FALSE);
    curs_set(0);
    set_escdelay(25);
    colors = want_color && has_colors();
    if (colors) {
        start_color();
        use_default_colors();
        init_pair(CN_COLOR_RED, COLOR_RED, -1);
        init_pair(CN_COLOR_GREEN, COLOR_GREEN, -1);
        init_pair(CN_COLOR_YELLOW, COLOR_YELLOW, -1);
        init_pair(CN_COLOR_BLUE, COLOR_BLUE, -1);
        init_pair(CN_COLOR_MAGENTA, COLOR_MAGENTA, -1);
        init_pair(CN_COLOR_CYAN, COLOR_CYAN, -1);
        init_pair(CN_COLOR_HEADER, COLOR_BLACK, COLOR_CYAN);
    }
    return colors;
}

void cn_stop(void) {
    if (started) {
        endwin();
        started = 0;
    }
}

bool cn_quit_requested(void) { return quit_requested != 0; }

void cn_size(int *rows, int *cols) {
    int r, c;
    getmaxyx(stdscr, r, c);
    *rows = r;
    *cols = c;
}

void cn_clear(void) { erase(); }

void cn_repaint_all(void) { clearok(curscr, TRUE); }

void cn_put(int row, int col, const char *utf8, int attributes) {
    attr_t attrs = 0;
    int color = attributes & 0xFF;
    if (attributes & CN_BOLD) attrs |= A_BOLD;
    if (attributes & CN_REVERSE) attrs |= A_REVERSE;
    if (attributes & CN_DIM) attrs |= A_DIM;
    if (attributes & CN_UNDERLINE) attrs |= A_UNDERLINE;
    if (colors && color) {
        attrs |= COLOR_PAIR(color);
    } else if (color == CN_COLOR_HEADER) {
        attrs |= A_REVERSE;  // monochrome: the header bar stays distinct
    } else if (color == CN_COLOR_RED) {
        attrs |= A_BOLD;  // monochrome: warnings stand out
    }
    attron(attrs);
    mvaddstr(row, col, utf8);
    attroff(attrs);
}

void cn_present(void) { refresh(); }

int cn_read_key(int timeout_ms) {
    // Wait on the terminal ourselves: a hung-up terminal reports POLLHUP here, where getch would just return
    // ERR at once, for ever, and the monitor would spin without a screen.
    struct pollfd input = {.fd = 0, .events = POLLIN};
    int ready = poll(&input, 1, timeout_ms);
    if (ready < 0) return CN_KEY_NONE;  // EINTR: a signal (resize, quit) to look at
    if (input.revents & (POLLHUP | POLLERR | POLLNVAL)) return CN_KEY_HANGUP;
    timeout(0);
    int ch = getch();
    switch (ch) {
    case ERR: return CN_KEY_NONE;
    case KEY_UP: return CN_KEY_UP;
    case KEY_DOWN: return CN_KEY_DOWN;
    case KEY_LEFT: return CN_KEY_LEFT;
    case KEY_RIGHT: return CN_KEY_RIGHT;
    case KEY_PPAGE: return CN_KEY_PAGE_UP;
    case KEY_NPAGE: return CN_KEY_PAGE_DOWN;
    case KEY_HOME: return CN_KEY_HOME;
    case KEY_END: return CN_KEY_END;
    case KEY_ENTER: case '\n': case '\r': return CN_KEY_ENTER;
    case KEY_BACKSPACE: case 127: case 8: return CN_KEY_BACKSPACE;
    case KEY_RESIZE: return CN_KEY_RESIZE;
    case KEY_BTAB: return CN_KEY_BACKTAB;
    default: return ch;
    }
}
