// The terminal, through ncurses (Debian libncurses-dev, the wide-character
// build): it knows every terminal's keys and capabilities from terminfo,
// redraws only what changed and handles resizes; no escape sequence is
// written by hand. The only file that includes <curses.h>.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "top/keys.hpp"
#include "top/layout.hpp"

namespace mmwatch::top {

class Screen {
public:
    Screen() = default;
    ~Screen() { stop(); }
    Screen(const Screen&) = delete;
    Screen& operator=(const Screen&) = delete;

    // False when the terminal cannot be driven (TERM unknown). `color`:
    // colors for the styles (off for NO_COLOR); attributes always.
    bool start(bool color);
    void stop();
    std::pair<size_t, size_t> size() const;  // (columns, lines)
    void draw(const std::vector<Line>& lines);
    // The next key within timeout_ms; Key::none on a timeout or a resize.
    Key read_key(int timeout_ms);

private:
    void* screen_ = nullptr;
    bool color_ = false;
};

}  // namespace mmwatch::top
