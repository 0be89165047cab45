#include <doctest/doctest.h>

#include "support/top_snapshot.hpp"
#include "top/layout.hpp"

using namespace mmwatch::top;
using mmwatch::test::two_series;

namespace {

size_t code_points(const std::string& t) {
    size_t n = 0;
    for (char c : t)
        n += (c & 0xC0) != 0x80;
    return n;
}

}  // namespace

TEST_CASE("layout: exactly the screen, every line at its width, at 80x24 and 40x10") {
    Snapshot snap = two_series();
    State st;
    for (auto [w, h] : {std::pair<size_t, size_t>{80, 24}, {40, 10}, {10, 3}}) {
        auto lines = layout(st, snap, w, h, Glyphs::utf8, 200);
        CHECK(lines.size() == h);
        for (const auto& l : lines)
            CHECK(code_points(l.text) == w);
    }
    auto lines = layout(st, snap, 80, 24, Glyphs::ascii, 200);
    CHECK(lines[0].text.find("[1 series]") != std::string::npos);
    CHECK(lines[1].text.find("SERIES") == 0);
    CHECK(lines[2].style == Style::selected);
    CHECK(lines[3].text.find("b_total{name=\"web\"}") == 0);
    CHECK(lines[3].text.find("2.5") != std::string::npos);
    CHECK(lines.back().text.find("sort name") != std::string::npos);
}

TEST_CASE("layout: a server gone is said on the status line, the last data kept") {
    Snapshot snap = two_series();
    snap.connected = false;
    snap.error = "Couldn't connect to server";
    auto lines = layout(State{}, snap, 80, 10, Glyphs::ascii, 200);
    CHECK(lines.back().text.find("disconnected from http://127.0.0.1:9479") == 0);
    CHECK(lines.back().style == Style::warning);
    CHECK(lines[2].text.find("a{name=\"web\"}") == 0);
}

TEST_CASE("layout: narrow screens drop the right columns, not the names") {
    Snapshot snap = two_series();
    auto lines = layout(State{}, snap, 40, 10, Glyphs::ascii, 200);
    CHECK(lines[1].text.find("SERIES") == 0);
    CHECK(lines[1].text.find("LAST") == std::string::npos);  // no room for a sparkline
}

TEST_CASE("layout: help and the focused chart") {
    Snapshot snap = two_series();
    snap.focus_selector = "a{name=\"web\"}";
    snap.focus = RangeSeries{"a", {}, {{0, 1}, {15, 3}}};
    State st;
    st.focused = true;
    auto lines = layout(st, snap, 60, 12, Glyphs::ascii, 200);
    CHECK(lines[1].text.find("a{name=\"web\"}") == 0);
    CHECK(lines[2].text.find("[5m]") == 0);
    CHECK(lines[2].text.find("min 1  max 3") != std::string::npos);
    CHECK(lines[3].text.find("3") == 0);  // the axis: max at the top
    st.help = true;
    lines = layout(st, snap, 60, 12, Glyphs::ascii, 200);
    CHECK(lines[1].text.find("views") != std::string::npos);
}

TEST_CASE("plain_table: header and every row, no padding at line ends") {
    Snapshot snap = two_series();
    CHECK(plain_table(State{}, snap, 200) ==
          "SERIES               VALUE  RATE/S\n"
          "a{name=\"web\"}        9\n"
          "b_total{name=\"web\"}  5      2.5\n");
    State files;
    files.view = View::files;
    snap.sources = {Source{"bad", "bad.rezl", "rejected", "bad_magic", "", 0, 24, false}};
    snap.seen["bad.rezl"] = SourceSeen{"rejected", 170};
    CHECK(plain_table(files, snap, 200) ==
          "FILE      STATE     REASON     CHANGED  STALE  METRICS\n"
          "bad.rezl  rejected  bad_magic  30s ago  -      0\n");
}
