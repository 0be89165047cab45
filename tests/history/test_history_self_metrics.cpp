#include <doctest/doctest.h>

#include <set>
#include <string>

#include "history/history_self_metrics.hpp"

using namespace mmwatch;
using namespace mmwatch::history;

TEST_CASE("history_self_metrics_are_all_there_at_zero_and_count_what_happened") {
    std::vector<MetricRow> rows;
    metric_rows(MetricSources{}, rows);
    std::set<std::string> names;
    for (const MetricRow& r : rows) {
        names.insert(std::string(r.name));
        CHECK(r.value == 0);
        CHECK((r.type == "counter" || r.type == "gauge"));
        CHECK(r.name.ends_with("_total") == (r.type == "counter"));
        CHECK(!r.help.empty());
    }
    for (const char* n : {"mmwatch_history_samples", "mmwatch_history_bytes", "mmwatch_history_series",
                          "mmwatch_history_chunks", "mmwatch_history_appended_total", "mmwatch_history_refused_total",
                          "mmwatch_history_evicted_total", "mmwatch_history_flushes_total",
                          "mmwatch_history_flush_seconds_total", "mmwatch_history_segments_skipped_total",
                          "mmwatch_history_remote_write_requests_total"})
        CHECK(names.count(n) == 1);
    // Every reason and tier has its row.
    size_t refused = 0, evicted = 0, samples = 0;
    for (const MetricRow& r : rows) {
        refused += r.name == "mmwatch_history_refused_total";
        evicted += r.name == "mmwatch_history_evicted_total";
        samples += r.name == "mmwatch_history_samples";
    }
    CHECK(refused == kRefusalCount);
    CHECK(evicted == kTierCount * kEvictionCount);
    CHECK(samples == kTierCount);

    Store store(StoreConfig{});
    std::vector<LabelView> l = {{"__name__", "x"}};
    REQUIRE(canonicalize(l) == LabelError::none);
    const SeriesId id = store.series(l).id;
    store.append(id, 1000, value_bits(1));
    store.append(id, 500, value_bits(1));
    RemoteWriteCounters w;
    w.add(WriteResult{WriteError::bad_snappy});
    metric_rows(MetricSources{&store, nullptr, nullptr, nullptr, &w, 0}, rows);
    const auto value = [&](std::string_view name, std::string_view label_value) {
        for (const MetricRow& r : rows)
            if (r.name == name && r.label_value == label_value) return r.value;
        return -1.0;
    };
    CHECK(value("mmwatch_history_appended_total", "") == 1);
    CHECK(value("mmwatch_history_refused_total", "out_of_order") == 1);
    CHECK(value("mmwatch_history_samples", "raw") == 1);
    CHECK(value("mmwatch_history_series", "") == 1);
    CHECK(value("mmwatch_history_remote_write_requests_total", "bad_snappy") == 1);
    CHECK(value("mmwatch_history_bytes", "raw") > 0);
}
