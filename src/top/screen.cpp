#include "top/screen.hpp"

#include <string>
#include <curses.h>

namespace mmwatch::top {
namespace {

// Color pairs per style (0: none).
short pair_of(Style s) {
    switch (s) {
    case Style::title: return 1;
    case Style::header: return 2;
    case Style::warning: return 3;
    default: return 0;
    }
}

attr_t attrs_of(Style s) {
    switch (s) {
    case Style::title: return A_BOLD;
    case Style::header: return A_BOLD | A_UNDERLINE;
    case Style::selected: return A_REVERSE;
    case Style::warning: return A_BOLD | A_REVERSE;
    case Style::dim: return A_DIM;
    case Style::normal: break;
    }
    return A_NORMAL;
}

}  // namespace

bool Screen::start(bool color) {
    SCREEN* s = newterm(nullptr, stdout, stdin);
    if (!s)
        return false;
    screen_ = s;
    set_term(s);
    raw();  // Ctrl-C arrives as a key, so quitting always restores the terminal
    noecho();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    color_ = color && has_colors();
    if (color_) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_CYAN, -1);
        init_pair(2, COLOR_GREEN, -1);
        init_pair(3, COLOR_RED, -1);
    }
    return true;
}

void Screen::stop() {
    if (!screen_)
        return;
    endwin();
    delscreen(static_cast<SCREEN*>(screen_));
    screen_ = nullptr;
}

std::pair<size_t, size_t> Screen::size() const {
    int lines = 0, cols = 0;
    getmaxyx(stdscr, lines, cols);
    return {size_t(cols > 0 ? cols : 1), size_t(lines > 0 ? lines : 1)};
}

void Screen::draw(const std::vector<Line>& lines) {
    erase();
    const auto [cols, rows] = size();
    for (size_t i = 0; i < lines.size() && i < rows; ++i) {
        attr_t a = attrs_of(lines[i].style);
        if (color_)
            a |= COLOR_PAIR(pair_of(lines[i].style));
        attrset(a);
        // The bottom-right cell cannot be written without scrolling: one short.
        const std::string text = i + 1 == rows ? fit(lines[i].text, cols - 1) : lines[i].text;
        mvaddstr(int(i), 0, text.c_str());
    }
    attrset(A_NORMAL);
    refresh();
}

Key Screen::read_key(int timeout_ms) {
    timeout(timeout_ms);
    const int c = getch();
    switch (c) {
    case ERR: case KEY_RESIZE: return {};
    case KEY_UP: return {Key::up};
    case KEY_DOWN: return {Key::down};
    case KEY_PPAGE: return {Key::page_up};
    case KEY_NPAGE: return {Key::page_down};
    case KEY_HOME: return {Key::home};
    case KEY_END: return {Key::end};
    case KEY_ENTER: case '\n': case '\r': return {Key::enter};
    case 27: return {Key::escape};
    case KEY_BACKSPACE: case 127: case 8: return {Key::backspace};
    case '\t': return {Key::tab};
    case 3: return {Key::interrupt};  // Ctrl-C
    case 26: return {};               // Ctrl-Z: not offered (raw mode)
    default: break;
    }
    if (c >= 32 && c < 127)
        return {Key::character, char(c)};
    return {};
}

}  // namespace mmwatch::top
