#include <doctest/doctest.h>

#include "top/keys.hpp"

using namespace mmwatch::top;

namespace {
Key ch(char c) { return Key{Key::character, c}; }
void type(State& s, const std::string& text) {
    for (char c : text)
        handle_key(s, ch(c), 10, 5);
}
}  // namespace

TEST_CASE("keys: / edits a filter that Enter applies and Esc abandons") {
    State s;
    handle_key(s, ch('/'), 10, 5);
    CHECK(s.editing);
    type(s, "jobx");
    handle_key(s, Key{Key::backspace}, 10, 5);
    CHECK(s.draft == "job");
    CHECK(s.filter.empty());
    handle_key(s, Key{Key::enter}, 10, 5);
    CHECK_FALSE(s.editing);
    CHECK(s.filter == "job");
    CHECK(s.refresh_now);
    handle_key(s, ch('/'), 10, 5);
    type(s, "q");  // q while editing is text, not quit
    CHECK_FALSE(s.quit);
    handle_key(s, Key{Key::escape}, 10, 5);
    CHECK(s.filter == "job");
}

TEST_CASE("keys: views by number and Tab, sort, reverse, pause, quit") {
    State s;
    handle_key(s, ch('3'), 10, 5);
    CHECK(s.view == View::otlp);
    handle_key(s, Key{Key::tab}, 10, 5);
    CHECK(s.view == View::push);
    handle_key(s, Key{Key::tab}, 10, 5);
    handle_key(s, Key{Key::tab}, 10, 5);
    CHECK(s.view == View::series);
    handle_key(s, ch('s'), 10, 5);
    CHECK(s.sort == SortKey::value);
    handle_key(s, ch('s'), 10, 5);
    handle_key(s, ch('s'), 10, 5);
    CHECK(s.sort == SortKey::name);
    handle_key(s, ch('r'), 10, 5);
    CHECK(s.descending);
    handle_key(s, ch('p'), 10, 5);
    CHECK(s.paused);
    handle_key(s, ch('q'), 10, 5);
    CHECK(s.quit);
}

TEST_CASE("keys: the cursor stays within the rows, scroll keeps it on the page") {
    State s;
    for (int i = 0; i < 20; ++i)
        handle_key(s, Key{Key::down}, 10, 4);
    CHECK(s.cursor == 9);
    CHECK(s.scroll == 6);
    handle_key(s, Key{Key::page_up}, 10, 4);
    CHECK(s.cursor == 5);
    handle_key(s, Key{Key::home}, 10, 4);
    CHECK(s.cursor == 0);
    CHECK(s.scroll == 0);
    handle_key(s, ch('G'), 10, 4);
    CHECK(s.cursor == 9);
    clamp(s, 3, 4);  // the rows shrank
    CHECK(s.cursor == 2);
    CHECK(s.scroll == 0);
    handle_key(s, Key{Key::down}, 0, 4);
    CHECK(s.cursor == 0);
}

TEST_CASE("keys: Enter focuses a series, t cycles its range, Esc returns; ? shows help, any key closes it") {
    State s;
    handle_key(s, Key{Key::enter}, 0, 4);  // no rows: nothing to focus
    CHECK_FALSE(s.focused);
    handle_key(s, Key{Key::enter}, 3, 4);
    CHECK(s.focused);
    handle_key(s, ch('t'), 3, 4);
    handle_key(s, ch('t'), 3, 4);
    CHECK(s.focus_range == 2);
    handle_key(s, ch('t'), 3, 4);
    CHECK(s.focus_range == 0);
    handle_key(s, Key{Key::escape}, 3, 4);
    CHECK_FALSE(s.focused);
    handle_key(s, ch('?'), 3, 4);
    CHECK(s.help);
    handle_key(s, ch('2'), 3, 4);
    CHECK_FALSE(s.help);
    CHECK(s.view == View::series);  // the key closed help and did nothing else
}

TEST_CASE("filter_is_selector: braces make a selector") {
    CHECK(filter_is_selector("{job=\"x\"}"));
    CHECK(filter_is_selector("up{a=\"b\"}"));
    CHECK_FALSE(filter_is_selector("jobs"));
}

TEST_CASE("keys: Ctrl-C quits even while a filter is being typed") {
    State s;
    handle_key(s, ch('/'), 10, 5);
    handle_key(s, Key{Key::interrupt}, 10, 5);
    CHECK(s.quit);
}
