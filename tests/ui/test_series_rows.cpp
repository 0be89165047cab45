#include <doctest/doctest.h>

#include <bit>
#include <string>
#include <vector>

#include "history/history_store.hpp"
#include "ui/series_rows.hpp"

using namespace mmwatch;
using namespace mmwatch::ui;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;

history::SeriesId add(history::Store& store, std::vector<history::LabelView> labels) {
    REQUIRE(history::canonicalize(labels) == history::LabelError::none);
    const history::Store::Lookup l = store.series(labels);
    REQUIRE(l.id != history::kNoSeries);
    return l.id;
}

void fill(history::Store& store, history::SeriesId id, double start, double step, int n, int64_t every_ms = 15'000) {
    for (int i = 0; i < n; ++i) {
        const int64_t t = kNow - int64_t(n - 1 - i) * every_ms;
        REQUIRE(store.append(id, t, std::bit_cast<uint64_t>(start + step * i)) == history::AppendStatus::stored);
    }
}

}  // namespace

TEST_CASE("counters_are_known_by_their_name") {
    CHECK(counter_name("requests_total"));
    CHECK(counter_name("latency_seconds_count"));
    CHECK(counter_name("latency_seconds_bucket"));
    CHECK_FALSE(counter_name("temperature"));
    CHECK_FALSE(counter_name("total_things"));
}

TEST_CASE("a_row_has_the_last_value_and_a_counter_its_rate_over_five_minutes") {
    history::Store store{history::StoreConfig{}};
    const auto g = add(store, {{"__name__", "temp"}, {"room", "a"}});
    const auto c = add(store, {{"__name__", "reqs_total"}});
    fill(store, g, 20, 0.5, 61);
    fill(store, c, 1000, 30, 61);  // 30 per 15 s: 2 per second
    SeriesPage page;
    select_series(store, {}, kNow, page);
    REQUIRE(page.rows.size() == 2);
    CHECK(page.total == 2);
    CHECK(page.rows[0].name == "temp");
    CHECK(page.rows[0].labels == "{room=\"a\"}");
    CHECK(page.rows[0].value == 50);
    CHECK_FALSE(page.rows[0].has_rate);
    CHECK(page.rows[0].spark.size() <= kSparklinePoints);
    CHECK(page.rows[1].counter);
    CHECK(page.rows[1].has_rate);
    CHECK(page.rows[1].rate_per_s == doctest::Approx(2.0));
    CHECK(page.rows[1].spark.back().v == doctest::Approx(2.0));  // a counter's sparkline is its rate
}

TEST_CASE("a_counter_reset_counts_the_new_value_as_the_increase") {
    history::Store store{history::StoreConfig{}};
    const auto c = add(store, {{"__name__", "x_total"}});
    REQUIRE(store.append(c, kNow - 30'000, std::bit_cast<uint64_t>(100.0)) == history::AppendStatus::stored);
    REQUIRE(store.append(c, kNow - 15'000, std::bit_cast<uint64_t>(130.0)) == history::AppendStatus::stored);
    REQUIRE(store.append(c, kNow, std::bit_cast<uint64_t>(30.0)) == history::AppendStatus::stored);
    SeriesPage page;
    select_series(store, {}, kNow, page);
    REQUIRE(page.rows.size() == 1);
    CHECK(page.rows[0].rate_per_s == doctest::Approx(2.0));  // (30 + 30) / 30 s
}

TEST_CASE("match_filters_on_label_names_and_values_and_pages_are_capped") {
    history::Store store{history::StoreConfig{}};
    for (int i = 0; i < 130; ++i) {
        const std::string v = std::to_string(i);
        fill(store, add(store, {{"__name__", i % 2 ? "odd_metric" : "even_metric"}, {"i", v}}), i, 0, 1);
    }
    SeriesPage page;
    select_series(store, {"odd", 0, 0}, kNow, page);
    CHECK(page.rows.size() == kSeriesRowsPerPage);
    CHECK(page.scanned == 100);  // the 50th odd one is id 99
    CHECK(page.more);
    CHECK(page.next_from == 100);
    select_series(store, {"odd", 0, 100}, kNow, page);
    CHECK(page.rows.size() == 15);
    CHECK(page.scanned == 30);
    CHECK_FALSE(page.more);
    CHECK(page.rows[0].name == "odd_metric");
    select_series(store, {"", 1, 0}, kNow, page);
    CHECK(page.first == kSeriesRowsPerPage);
    CHECK(page.rows.size() == kSeriesRowsPerPage);
    CHECK(page.rows.front().labels == "{i=\"50\"}");  // the 51st series to the 100th, in id order
    CHECK(page.rows.back().labels == "{i=\"99\"}");
    select_series(store, {"", 2, 0}, kNow, page);  // the last page: the 30 left
    CHECK(page.rows.size() == 30);
    CHECK(page.rows.back().labels == "{i=\"129\"}");
    select_series(store, {"", 99, 0}, kNow, page);  // past the end: nothing, bounded
    CHECK(page.total == 130);
    CHECK(page.rows.empty());
    select_series(store, {"", SIZE_MAX / kSeriesRowsPerPage, 0}, kNow, page);  // no wrap
    CHECK(page.rows.empty());
    CHECK(page.first == 150);
    select_series(store, {"no such thing", 0, 0}, kNow, page);
    CHECK(page.rows.empty());
    CHECK_FALSE(page.more);
}

// A filter over a big store reads at most kMaxSeriesScanned series' labels
// per render and says where to resume.
TEST_CASE("a_filter_scan_stops_at_its_budget_and_resumes_from_its_cursor") {
    history::StoreConfig config;
    config.max_series = kMaxSeriesScanned + 5000;
    config.max_bytes = uint64_t(1) << 30;
    history::Store store{config};
    const size_t n = kMaxSeriesScanned + 1000;
    for (size_t i = 0; i < n; ++i)
        fill(store, add(store, {{"__name__", i + 1 == n ? "needle" : "hay"}, {"i", std::to_string(i)}}), 1, 0, 1);
    SeriesPage page;
    select_series(store, {"needle", 0, 0}, kNow, page);
    CHECK(page.rows.empty());
    CHECK(page.scanned == kMaxSeriesScanned);
    CHECK(page.more);
    select_series(store, {"needle", 0, page.next_from}, kNow, page);
    REQUIRE(page.rows.size() == 1);
    CHECK(page.rows[0].name == "needle");
    CHECK(page.scanned == 1000);
    CHECK_FALSE(page.more);
}

TEST_CASE("a_chart_reads_a_day_of_one_second_samples_down_to_its_cap") {
    history::Store store{history::StoreConfig{}};
    const auto g = add(store, {{"__name__", "g"}});
    fill(store, g, 0, 1, 86'400, 1000);
    SeriesRow row;
    REQUIRE(describe_series(store, g, store.generation(g), row));
    CHECK_FALSE(describe_series(store, g, store.generation(g) + 1, row));
    std::vector<Point> points;
    bool cut = true;
    chart_points(store, row, kNow - 3'600'000, kNow, points, cut);
    CHECK_FALSE(cut);
    CHECK(points.size() <= kChartPoints);
    CHECK(points.back().v == 86'399);
    chart_points(store, row, kNow - 24 * 3'600'000, kNow, points, cut);
    CHECK(points.size() <= kChartPoints);
    CHECK(points.size() > kChartPoints / 4);
}

namespace {

// The one-hour chart of `g`, which must have been cut at kMaxChartSamples.
std::vector<Point> last_hour_cut_short(const history::Store& store, history::SeriesId g) {
    SeriesRow row;
    REQUIRE(describe_series(store, g, store.generation(g), row));
    std::vector<Point> points;
    bool cut = false;
    chart_points(store, row, kNow - 3'600'000, kNow, points, cut);
    CHECK(cut);
    return points;
}

}  // namespace

TEST_CASE("a_chart_past_its_sample_cap_keeps_the_newest_samples_and_ends_at_now") {
    history::Store store{history::StoreConfig{}};
    const auto g = add(store, {{"__name__", "g"}});
    // 150,000 samples 20 ms apart: 50 minutes, within the one-hour raw range.
    const int n = int(kMaxChartSamples) * 3 / 2;
    fill(store, g, 0, 1, n, 20);
    const std::vector<Point> points = last_hour_cut_short(store, g);
    REQUIRE_FALSE(points.empty());
    CHECK(points.back().t == kNow);
    CHECK(points.back().v == n - 1);
    // The oldest third is what was left out: the chart starts late, with
    // (about) the newest kMaxChartSamples.
    CHECK(points.front().v >= n - int(kMaxChartSamples));
    CHECK(points.front().v <= n - int(kMaxChartSamples) + 10);
}

TEST_CASE("a_chart_of_a_series_denser_at_its_end_still_ends_at_now") {
    history::Store store{history::StoreConfig{}};
    const auto g = add(store, {{"__name__", "g"}});
    // Sparse for most of the hour, then a sample a millisecond: the first
    // later start still holds too many, the last try cannot.
    for (int i = 0; i < 50; ++i)
        REQUIRE(store.append(g, kNow - 3'000'000 + i * 1000, std::bit_cast<uint64_t>(double(i))) ==
                history::AppendStatus::stored);
    const int dense = int(kMaxChartSamples) * 2;
    for (int i = 0; i < dense; ++i)
        REQUIRE(store.append(g, kNow - dense + 1 + i, std::bit_cast<uint64_t>(double(1000 + i))) ==
                history::AppendStatus::stored);
    const std::vector<Point> points = last_hour_cut_short(store, g);
    REQUIRE_FALSE(points.empty());
    CHECK(points.back().t == kNow);
    CHECK(points.back().v == 1000 + dense - 1);
}
