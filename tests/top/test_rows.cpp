#include <doctest/doctest.h>

#include "support/top_snapshot.hpp"
#include "top/layout.hpp"  // plain_table shows the push targets

using namespace mmwatch::top;
using mmwatch::test::two_series;

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

TEST_CASE("order_problems_first: rejected, pending, stale, then active, each in the server's order") {
    std::vector<Source> s = {Source{"a", "a.rezl", "active"}, Source{"b", "b.rezl", "rejected"},
                             Source{"c", "c.rezl", "active"}, Source{"d", "d.rezl", "pending"},
                             Source{"e", "e.rezl", "rejected"}};
    s[2].stale = true;
    order_problems_first(s);
    std::string order;
    for (const auto& x : s)
        order += x.name;
    CHECK(order == "bedca");
}
