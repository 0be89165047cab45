#include <doctest/doctest.h>

#include "top/layout.hpp"
#include "top/top_options.hpp"

using namespace mmwatch::top;

namespace {

Snapshot two_series() {
    Snapshot s;
    s.url = "http://127.0.0.1:9479";
    s.connected = true;
    s.series = {Series{"b_total", {{"name", "web"}}, 5}, Series{"a", {{"name", "web"}}, 9}};
    s.sparks["b_total{name=\"web\"}"] = Spark{{1, 2, 3}, 2.5, true, 100};
    return s;
}

size_t code_points(const std::string& t) {
    size_t n = 0;
    for (char c : t)
        n += (c & 0xC0) != 0x80;
    return n;
}

}  // namespace

TEST_CASE("series_rows: substring filter and sorts") {
    Snapshot snap = two_series();
    State st;
    auto rows = series_rows(st, snap);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0]->name == "a");
    st.sort = SortKey::value;
    CHECK(series_rows(st, snap)[0]->name == "a");  // 9 before 5
    st.sort = SortKey::rate;
    CHECK(series_rows(st, snap)[0]->name == "b_total");  // the only known rate first
    st.descending = true;
    CHECK(series_rows(st, snap)[0]->name == "a");
    st.filter = "b_t";
    CHECK(series_rows(st, snap).size() == 1);
    st.filter = "{name=\"web\"}";  // a selector: the server applied it
    CHECK(series_rows(st, snap).size() == 2);
}

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

TEST_CASE("push_targets and daemon_figures from self-metrics") {
    std::vector<Series> m = {
        {"mmwatch_remote_write_pending_samples", {{"url", "http://a/w"}}, 12},
        {"mmwatch_remote_write_samples_dropped_total", {{"reason", "x"}, {"url", "http://a/w"}}, 2},
        {"mmwatch_remote_write_samples_dropped_total", {{"reason", "y"}, {"url", "http://a/w"}}, 3},
        {"mmwatch_remote_write_last_success_timestamp_seconds", {{"url", "http://a/w"}}, 150},
        {"mmwatch_loop_busy_ratio", {}, 0.25},
        {"process_resident_memory_bytes", {}, 3 * 1048576.0}};
    auto p = push_targets(m);
    REQUIRE(p.size() == 1);
    CHECK(p[0].pending == 12);
    CHECK(p[0].dropped == 5);
    State st;
    st.view = View::push;
    Snapshot snap;
    snap.push = p;
    CHECK(plain_table(st, snap, 200).find("http://a/w  ok     12       50s ago") != std::string::npos);
    auto d = daemon_figures(m, 0.002);
    bool busy = false, rss = false, lag = false;
    for (const auto& [k, v] : d) {
        busy |= k == "loop busy" && v == "25 %";
        rss |= k == "memory: resident" && v == "3.0 MiB";
        lag |= k == "loop lag, mean over 1m" && v == "2 ms";
    }
    CHECK(busy);
    CHECK(rss);
    CHECK(lag);
}

TEST_CASE("note_source_changes: a state change is dated, an unchanged one keeps its date") {
    std::map<std::string, SourceSeen> seen;
    note_source_changes(seen, {Source{"a", "a.rezl", "active"}}, 100, true);
    CHECK(seen["a.rezl"].changed_at == 0);  // as it was when the client started
    note_source_changes(seen, {Source{"a", "a.rezl", "rejected"}, Source{"b", "b.rezl", "active"}}, 110, false);
    CHECK(seen["a.rezl"].changed_at == 110);
    CHECK(seen["b.rezl"].changed_at == 110);
    note_source_changes(seen, {Source{"a", "a.rezl", "rejected"}}, 120, false);
    CHECK(seen["a.rezl"].changed_at == 110);
    CHECK(seen.count("b.rezl") == 0);
}

TEST_CASE("format_value, format_bytes, format_age") {
    CHECK(format_value(42) == "42");
    CHECK(format_value(0.125) == "0.125");
    CHECK(format_value(1e300) == "1e+300");
    CHECK(format_value(-3) == "-3");
    CHECK(format_bytes(512) == "512 B");
    CHECK(format_bytes(1536) == "1.5 KiB");
    CHECK(format_age(59) == "59s");
    CHECK(format_age(300) == "5m");
    CHECK(format_age(3600) == "1h");
    CHECK(format_age(86400) == "24h");
}

TEST_CASE("options: URL, interval, curl's TLS and auth names") {
    std::string error;
    auto o = parse_options({"localhost:9479/", "--interval", "5s", "--cacert", "ca.pem", "--user", "u:p", "--once"},
                           error);
    REQUIRE(o);
    CHECK(o->url == "http://localhost:9479");
    CHECK(o->interval_ms == 5000);
    CHECK(o->cacert == "ca.pem");
    CHECK(o->user == "u:p");
    CHECK(o->once);
    auto d = parse_options({}, error);
    REQUIRE(d);
    CHECK(d->url == "http://127.0.0.1:9479");
    CHECK(d->interval_ms == 2000);
    CHECK_FALSE(parse_options({"--interval", "500ms"}, error));
    CHECK_FALSE(parse_options({"--interval"}, error));
    CHECK(error == "--interval needs a value");
    CHECK_FALSE(parse_options({"--view", "nope"}, error));
    CHECK_FALSE(parse_options({"a", "b"}, error));
}
