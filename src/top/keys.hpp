// What the keys do: a state machine over the UI's state, apart from the
// terminal (screen.cpp turns ncurses' key codes into Keys) so every key's
// effect is a unit test.
#pragma once

#include <cstddef>
#include <string>

namespace mmwatch::top {

enum class View { series, files, otlp, push, daemon };
inline constexpr size_t kViewCount = 5;
const char* view_name(View view);

enum class SortKey { name, value, rate };
const char* sort_name(SortKey key);

// The focused series' chart ranges: 5m, 1h, 24h.
inline constexpr unsigned kFocusRangesSeconds[3] = {300, 3600, 86400};

struct Key {
    enum Kind { character, up, down, page_up, page_down, home, end, enter, escape, backspace, tab, interrupt, none };
    Kind kind = none;
    char ch = 0;  // for character: a printable ASCII character
};

struct State {
    View view = View::series;
    std::string filter;     // applied: a selector (contains '{') or a substring
    bool editing = false;   // '/' typed: keys go to `draft`
    std::string draft;
    SortKey sort = SortKey::name;
    bool descending = false;
    bool paused = false;
    bool help = false;
    bool quit = false;
    size_t cursor = 0;      // the selected row of the view
    size_t scroll = 0;      // the first row shown
    bool focused = false;   // Enter on a series: its chart
    size_t focus_range = 0; // index into kFocusRangesSeconds
    bool refresh_now = false;  // set by a key whose effect needs new data
};

// Applies one key. `rows` is how many rows the view holds, `page` how many
// fit on the screen: the cursor stays within the rows and scroll keeps it
// on the screen.
void handle_key(State& state, Key key, size_t rows, size_t page);

// Keeps cursor and scroll valid after the rows or the page changed size.
void clamp(State& state, size_t rows, size_t page);

// Whether the filter is a PromQL selector (sent to the server) rather than
// a substring (matched here).
bool filter_is_selector(const std::string& filter);

}  // namespace mmwatch::top
