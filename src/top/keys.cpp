#include "top/keys.hpp"

#include <algorithm>

namespace mmwatch::top {
namespace {

void edit_filter(State& s, Key key) {
    switch (key.kind) {
    case Key::enter:
        s.filter = s.draft;
        s.editing = false;
        s.cursor = s.scroll = 0;
        s.refresh_now = true;
        break;
    case Key::escape:
        s.editing = false;
        break;
    case Key::backspace:
        if (!s.draft.empty())
            s.draft.pop_back();
        break;
    case Key::character:
        s.draft += key.ch;
        break;
    default:
        break;
    }
}

void move_cursor(State& s, Key key, size_t rows, size_t page) {
    const size_t last = rows ? rows - 1 : 0;
    const size_t step = std::max<size_t>(page, 1);
    switch (key.kind) {
    case Key::up: s.cursor = s.cursor ? s.cursor - 1 : 0; break;
    case Key::down: s.cursor = std::min(s.cursor + 1, last); break;
    case Key::page_up: s.cursor = s.cursor > step ? s.cursor - step : 0; break;
    case Key::page_down: s.cursor = std::min(s.cursor + step, last); break;
    case Key::home: s.cursor = 0; break;
    case Key::end: s.cursor = last; break;
    default: break;
    }
}

void switch_view(State& s, View view) {
    if (s.view != view) {
        s.view = view;
        s.cursor = s.scroll = 0;
        s.focused = false;
        s.refresh_now = true;
    }
}

// The keys of the views themselves (not editing, no help shown).
void view_key(State& s, Key key, size_t rows, size_t page) {
    if (key.kind == Key::tab)
        return switch_view(s, View((size_t(s.view) + 1) % kViewCount));
    if (key.kind == Key::escape) {
        s.focused = false;
        return;
    }
    if (key.kind == Key::enter) {
        if (s.view == View::series && rows > 0) {
            s.focused = !s.focused;
            s.refresh_now = true;
        }
        return;
    }
    if (key.kind != Key::character)
        return move_cursor(s, key, rows, page);
    switch (key.ch) {
    case 'q': s.quit = true; break;
    case '?': s.help = true; break;
    case '/': s.editing = true; s.draft = s.filter; break;
    case 'p': case ' ': s.paused = !s.paused; break;
    case 's': s.sort = SortKey((int(s.sort) + 1) % 3); s.cursor = s.scroll = 0; break;
    case 'r': s.descending = !s.descending; s.cursor = s.scroll = 0; break;
    case 't': s.focus_range = (s.focus_range + 1) % 3; s.refresh_now = true; break;
    case 'k': move_cursor(s, Key{Key::up}, rows, page); break;
    case 'j': move_cursor(s, Key{Key::down}, rows, page); break;
    case 'g': move_cursor(s, Key{Key::home}, rows, page); break;
    case 'G': move_cursor(s, Key{Key::end}, rows, page); break;
    case '1': case '2': case '3': case '4': case '5': switch_view(s, View(key.ch - '1')); break;
    default: break;
    }
}

}  // namespace

const char* view_name(View view) {
    static const char* const names[kViewCount] = {"series", "files", "otlp", "push", "daemon"};
    return names[size_t(view)];
}

const char* sort_name(SortKey key) {
    static const char* const names[3] = {"name", "value", "rate"};
    return names[size_t(key)];
}

void handle_key(State& state, Key key, size_t rows, size_t page) {
    if (key.kind == Key::interrupt)  // Ctrl-C: quit from anywhere, the terminal restored
        state.quit = true;
    else if (state.editing)
        edit_filter(state, key);
    else if (state.help)
        state.help = key.kind == Key::character && key.ch == 'q' ? (state.quit = true, false) : false;
    else
        view_key(state, key, rows, page);
    clamp(state, rows, page);
}

void clamp(State& state, size_t rows, size_t page) {
    if (rows == 0) {
        state.cursor = state.scroll = 0;
        return;
    }
    state.cursor = std::min(state.cursor, rows - 1);
    page = std::max<size_t>(page, 1);
    if (state.cursor < state.scroll)
        state.scroll = state.cursor;
    if (state.cursor >= state.scroll + page)
        state.scroll = state.cursor - page + 1;
    state.scroll = std::min(state.scroll, rows > page ? rows - page : 0);
}

bool filter_is_selector(const std::string& filter) {
    return filter.find('{') != std::string::npos;
}

}  // namespace mmwatch::top
