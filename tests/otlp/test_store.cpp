// The replaced operator new/delete below pair malloc with free; GCC cannot
// see that through inlined allocators and warns.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "support/otlp_test_util.hpp"
#include "otlp/store.hpp"

using namespace mmwatch;
using namespace mmwatch::otlp;

// Counts heap allocations while `g_count_allocs` is set, to pin "no
// allocation per point after warm-up".
static std::atomic<bool> g_count_allocs{false};
static std::atomic<uint64_t> g_allocs{0};

void* operator new(size_t n) {
    if (g_count_allocs.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
// The nothrow forms too, so every new pairs with the delete below (the
// sanitizers flag a sanitizer-allocated block freed with plain free()).
void* operator new(size_t n, const std::nothrow_t&) noexcept {
    if (g_count_allocs.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;

// One decoder for the tests, as the receiver keeps one.
Decoder& decoder() {
    static Decoder d;
    return d;
}

DecodedRequest& decoded() {
    static DecodedRequest d;
    return d;
}

IngestResult feed(Store& store, const std::string& body, int64_t now) {
    const DecodeResult d = decoder().decode(body, decoded());
    REQUIRE(d.error == DecodeError::none);
    return store.ingest(decoded(), now);
}

// What the store hands its sink (the daemon's history store), by series.
struct Point {
    int64_t t_ms;
    double value;
};
struct Recorder final : PointSink {
    std::vector<std::vector<Point>> by_series;
    void point(const Store&, uint32_t id, int64_t t_ms, double v) override {
        if (id >= by_series.size()) by_series.resize(id + 1);
        by_series[id].push_back({t_ms, v});
    }
};

}  // namespace

TEST_CASE("same_attributes_in_another_order_are_the_same_series") {
    Store store({});
    Recorder sink;
    store.set_sink(&sink);
    const char* a = R"([{"key":"a","value":{"stringValue":"1"}},{"key":"b","value":{"stringValue":"2"}}])";
    const char* b = R"([{"key":"b","value":{"stringValue":"2"}},{"key":"a","value":{"stringValue":"1"}}])";
    feed(store, test::otlp_body(test::gauge_metric("g", 1, kT0, a)), kT0);
    feed(store, test::otlp_body(test::gauge_metric("g", 2, kT0 + kSec, b)), kT0);
    REQUIRE(store.series().size() == 1);
    CHECK(sink.by_series.at(0).size() == 2);
    CHECK(store.series()[0].last_value == 2);
}

// The cache of attribute lists as sent: a list seen again (in either
// order, and after the other order) lands on its first series; lists whose
// bytes could run together stay apart; a list refused by a cap is refused
// every time, never cached.
TEST_CASE("attribute_lists_seen_again_map_to_their_series_and_refusals_are_not_cached") {
    Store store({});
    Recorder sink;
    store.set_sink(&sink);
    const char* ab = R"([{"key":"a","value":{"stringValue":"1"}},{"key":"b","value":{"stringValue":"2"}}])";
    const char* ba = R"([{"key":"b","value":{"stringValue":"2"}},{"key":"a","value":{"stringValue":"1"}}])";
    const char* joined = R"([{"key":"a","value":{"stringValue":"1b"}},{"key":"","value":{"stringValue":"2"}}])";
    for (int round = 0; round < 3; ++round) {
        const int64_t t = kT0 + round * 3 * kSec;
        feed(store, test::otlp_body(test::gauge_metric("g", 1, t, ab)), kT0);
        feed(store, test::otlp_body(test::gauge_metric("g", 2, t + kSec, ba)), kT0);
        feed(store, test::otlp_body(test::gauge_metric("g", 3, t + 2 * kSec, joined)), kT0);
    }
    REQUIRE(store.series().size() == 2);
    CHECK(sink.by_series.at(0).size() == 6);
    CHECK(store.series()[0].last_value == 2);
    CHECK(store.series()[1].last_value == 3);
    const std::string long_value(base::kMaxOtlpLabelValueBytes + 1, 'v');
    const std::string too_long = R"([{"key":"a","value":{"stringValue":")" + long_value + R"("}}])";
    for (int i = 0; i < 2; ++i) {
        const IngestResult r = feed(store, test::otlp_body(test::gauge_metric("g", 1, kT0, too_long.c_str())), kT0);
        CHECK(r.rejected == 1);
    }
    CHECK(store.counters().points_rejected[size_t(Reject::label_too_long)] == 2);
}

TEST_CASE("delta_sums_accumulate_into_cumulative_values") {
    Store store({});
    Recorder sink;
    store.set_sink(&sink);
    for (int i = 0; i < 3; ++i) feed(store, test::otlp_body(test::sum_metric("req", 5, kT0 + i * kSec, 1, true)), kT0);
    REQUIRE(store.series().size() == 1);
    REQUIRE(sink.by_series.size() == 1);
    const auto& pts = sink.by_series[0];
    REQUIRE(pts.size() == 3);
    CHECK(pts[0].value == 5);
    CHECK(pts[1].value == 10);
    CHECK(pts[2].value == 15);
    CHECK(pts[2].t_ms == kT0 / 1'000'000 + 2000);
}

TEST_CASE("cumulative_sums_are_stored_as_sent") {
    Store store({});
    feed(store, test::otlp_body(test::sum_metric("req", 5, kT0, 2, true)), kT0);
    feed(store, test::otlp_body(test::sum_metric("req", 7, kT0 + kSec, 2, true)), kT0);
    CHECK(store.series()[0].last_value == 7);
}

TEST_CASE("sum_without_temporality_is_refused_and_counted") {
    Store store({});
    const IngestResult r = feed(store, test::otlp_body(test::sum_metric("req", 5, kT0, 0, true)), kT0);
    CHECK(r.rejected == 1);
    CHECK(r.first_reason == Reject::unspecified_temporality);
    CHECK(store.counters().points_rejected[size_t(Reject::unspecified_temporality)] == 1);
}

TEST_CASE("series_cap_refuses_new_series_and_counts_each_point") {
    StoreLimits limits;
    limits.max_series = 2;
    Store store(limits);
    std::string metrics;
    for (int i = 0; i < 4; ++i) {
        if (i) metrics += ',';
        metrics += test::gauge_metric("g" + std::to_string(i), i, kT0);
    }
    const IngestResult r = feed(store, test::otlp_body(metrics), kT0);
    CHECK(r.accepted == 2);
    CHECK(r.rejected == 2);
    CHECK(r.first_reason == Reject::series_limit);
    CHECK(store.series().size() == 2);
    CHECK(store.counters().points_rejected[size_t(Reject::series_limit)] == 2);
    // Known series still take points at the cap.
    CHECK(feed(store, test::otlp_body(test::gauge_metric("g0", 9, kT0 + kSec)), kT0).accepted == 1);
}

TEST_CASE("every_point_goes_to_the_sink_at_its_own_time_and_the_store_keeps_the_latest") {
    Store store({});
    Recorder sink;
    store.set_sink(&sink);
    for (int i = 0; i < 30; ++i) {
        std::string m = test::gauge_metric("a", i, kT0 + i * kSec) + "," + test::gauge_metric("b", -i, kT0 + i * kSec);
        feed(store, test::otlp_body(m), kT0 + i * kSec);
    }
    REQUIRE(sink.by_series.size() == 2);
    for (size_t id = 0; id < 2; ++id) {
        REQUIRE(sink.by_series[id].size() == 30);
        for (int i = 0; i < 30; ++i) {
            CHECK(sink.by_series[id][size_t(i)].t_ms == (kT0 + i * kSec) / 1'000'000);
            CHECK(sink.by_series[id][size_t(i)].value == (id == 0 ? i : -i));
        }
        CHECK(store.series()[id].last_value == (id == 0 ? 29 : -29));
    }
    // A refused point reaches no sink.
    CHECK(feed(store, test::otlp_body(test::gauge_metric("a", 7, kT0)), kT0 + 30 * kSec).rejected == 1);
    CHECK(sink.by_series[0].size() == 30);
}

TEST_CASE("a_series_is_live_for_the_window_after_its_last_receipt") {
    StoreLimits limits;
    limits.window_ms = 10'000;
    Store store(limits);
    feed(store, test::otlp_body(test::gauge_metric("g", 1, kT0 - 60 * kSec)), kT0);
    const Series& s = store.series()[0];
    CHECK(store.live(s, kT0 + 10 * kSec));   // received at kT0, whatever its timestamp
    CHECK(!store.live(s, kT0 + 11 * kSec));
    feed(store, test::otlp_body(test::gauge_metric("g", 2, kT0 - 59 * kSec)), kT0 + 11 * kSec);
    CHECK(store.live(store.series()[0], kT0 + 20 * kSec));
}

TEST_CASE("out_of_order_points_are_refused") {
    Store store({});
    feed(store, test::otlp_body(test::gauge_metric("g", 1, kT0 + 5 * kSec)), kT0);
    const IngestResult r = feed(store, test::otlp_body(test::gauge_metric("g", 2, kT0)), kT0);
    CHECK(r.rejected == 1);
    CHECK(r.first_reason == Reject::out_of_order);
}

TEST_CASE("a_name_reused_with_another_type_is_a_type_conflict") {
    Store store({});
    feed(store, test::otlp_body(test::gauge_metric("x", 1, kT0)), kT0);
    const IngestResult r = feed(store, test::otlp_body(test::sum_metric("x", 1, kT0, 2, true)), kT0);
    CHECK(r.rejected == 1);
    CHECK(r.first_reason == Reject::type_conflict);
}

TEST_CASE("histogram_buckets_are_stored_cumulative_per_le") {
    Store store({});
    feed(store, test::otlp_body(R"({"name":"h","histogram":{"aggregationTemporality":2,"dataPoints":[
        {"timeUnixNano":"1700000000000000000","count":"6","sum":3,"bucketCounts":["1","2","3"],"explicitBounds":[1,2]}]}})"),
         kT0);
    REQUIRE(store.series().size() == 5);  // 3 buckets, sum, count
    std::vector<double> les, values;
    for (const Series& s : store.series())
        if (s.key.role == Role::bucket) {
            les.push_back(s.key.extra);
            values.push_back(s.last_value);
        }
    CHECK(les == std::vector<double>{1, 2, INFINITY});
    CHECK(values == std::vector<double>{1, 3, 6});
}

TEST_CASE("histogram_with_mismatched_bucket_counts_is_refused") {
    Store store({});
    const IngestResult r = feed(store, test::otlp_body(R"({"name":"h","histogram":{"aggregationTemporality":2,
        "dataPoints":[{"count":"6","bucketCounts":["1","2"],"explicitBounds":[1,2]}]}})"), kT0);
    CHECK(r.first_reason == Reject::bad_bucket_counts);
    const IngestResult r2 = feed(store, test::otlp_body(R"({"name":"h","histogram":{"aggregationTemporality":2,
        "dataPoints":[{"count":"6","bucketCounts":["1","2","3"],"explicitBounds":[2,1]}]}})"), kT0);
    CHECK(r2.first_reason == Reject::bad_bucket_counts);
}

TEST_CASE("histogram_with_more_buckets_than_stored_is_refused") {
    Store store({});
    std::string counts, bounds;
    for (size_t i = 0; i < base::kMaxOtlpHistogramBuckets; ++i) {
        counts += i ? ",\"1\"" : "\"1\"";
        bounds += (i ? "," : "") + std::to_string(i);
    }
    const IngestResult r = feed(store, test::otlp_body(R"({"name":"h","histogram":{"aggregationTemporality":2,
        "dataPoints":[{"count":"1","bucketCounts":[)" + counts + ",\"1\"],\"explicitBounds\":[" + bounds + "]}]}}"), kT0);
    CHECK(r.first_reason == Reject::too_many_buckets);
    CHECK(store.series().empty());
}

TEST_CASE("number_point_without_value_is_refused") {
    Store store({});
    const IngestResult r = feed(store, test::otlp_body(R"({"name":"g","gauge":{"dataPoints":[{"timeUnixNano":"1"}]}})"), kT0);
    CHECK(r.first_reason == Reject::no_value);
}

TEST_CASE("no_recorded_value_points_are_skipped_not_refused") {
    Store store({});
    const IngestResult r = feed(store, test::otlp_body(R"({"name":"g","gauge":{"dataPoints":[{"flags":1}]}})"), kT0);
    CHECK(r.rejected == 0);
    CHECK(r.accepted == 0);
    CHECK(store.counters().points_no_recorded_value == 1);
}

TEST_CASE("steady_state_ingest_does_not_allocate_per_point") {
    Store store({});
    auto body_at = [](int64_t t) {
        std::string m;
        for (int i = 0; i < 50; ++i) {
            if (i) m += ',';
            m += test::gauge_metric("g", i, t,
                                    R"([{"key":"i","value":{"intValue":")" + std::to_string(i) +
                                        R"("}},{"key":"k","value":{"stringValue":"v"}}])");
        }
        return test::otlp_body(m);
    };
    std::vector<std::string> bodies;
    for (int r = 0; r < 300; ++r) bodies.push_back(body_at(kT0 + r * kSec));
    for (int r = 0; r < 200; ++r) feed(store, bodies[size_t(r)], kT0);  // warm-up: series and scratch made
    g_allocs = 0;
    g_count_allocs = true;
    uint64_t accepted = 0;
    for (int r = 200; r < 300; ++r) {
        (void)decoder().decode(bodies[size_t(r)], decoded());
        accepted += store.ingest(decoded(), kT0).accepted;
    }
    g_count_allocs = false;
    CHECK(accepted == 100 * 50);
    CHECK(g_allocs.load() == 0);
}

namespace {

std::string attr(std::string_view key, std::string_view value) {
    return R"({"key":")" + std::string(key) + R"(","value":{"stringValue":")" + std::string(value) + R"("}})";
}

std::string gauge_with_attr(std::string_view name, std::string_view key, std::string_view value, int64_t t = kT0) {
    return test::otlp_body(test::gauge_metric(name, 1, t, "[" + attr(key, value) + "]"));
}

}  // namespace

TEST_CASE("at_the_series_cap_a_refused_point_interns_nothing") {
    StoreLimits limits;
    limits.max_series = 1;
    Store store(limits);
    REQUIRE(feed(store, gauge_with_attr("g", "k", "first"), kT0).accepted == 1);
    const size_t strings = store.strings().size();
    const size_t bytes = store.identity_bytes();
    for (int i = 0; i < 200; ++i) {
        const IngestResult r = feed(store, gauge_with_attr("g", "k", std::string(1000, char('a' + i % 26)) + std::to_string(i)), kT0);
        CHECK(r.first_reason == Reject::series_limit);
    }
    CHECK(store.strings().size() == strings);  // the 200 new 1,000-byte values are not kept
    CHECK(store.identity_bytes() == bytes);
}

TEST_CASE("the_memory_budget_refuses_new_series_and_keeps_serving_known_ones") {
    StoreLimits limits;
    limits.max_bytes = 2 << 20;  // 1 MiB of identities
    Store store(limits);
    REQUIRE(feed(store, gauge_with_attr("known", "k", "v"), kT0).accepted == 1);
    uint64_t refused = 0;
    for (int i = 0; i < 3000 && refused == 0; ++i) {
        const IngestResult r = feed(store, gauge_with_attr("g", "k", std::string(900, 'x') + std::to_string(i)), kT0);
        if (r.rejected) {
            CHECK(r.first_reason == Reject::memory_limit);
            refused += r.rejected;
        }
    }
    CHECK(refused > 0);
    CHECK(store.identity_bytes() <= store.identity_budget());
    CHECK(store.memory_bytes() <= limits.max_bytes);
    // Known series still take points at the budget.
    CHECK(feed(store, gauge_with_attr("known", "k", "v", kT0 + kSec), kT0 + kSec).accepted == 1);
    CHECK(store.counters().points_rejected[size_t(Reject::memory_limit)] == refused);
}

TEST_CASE("families_resources_and_services_have_caps") {
    StoreLimits limits;
    limits.max_families = 2;
    limits.max_resources = 2;
    limits.max_services = 2;
    Store store(limits);
    CHECK(feed(store, test::otlp_body(test::gauge_metric("a", 1, kT0)), kT0).accepted == 1);
    CHECK(feed(store, test::otlp_body(test::gauge_metric("b", 1, kT0)), kT0).accepted == 1);
    CHECK(feed(store, test::otlp_body(test::gauge_metric("c", 1, kT0)), kT0).first_reason == Reject::family_limit);
    CHECK(feed(store, test::otlp_body(test::gauge_metric("a", 1, kT0), "svc2"), kT0).accepted == 1);
    CHECK(feed(store, test::otlp_body(test::gauge_metric("a", 1, kT0), "svc3"), kT0).first_reason ==
          Reject::service_limit);
    CHECK(store.families().size() == 2);
    CHECK(store.health().size() == 2);
}

TEST_CASE("names_labels_and_label_counts_over_their_caps_are_refused") {
    Store store({});
    const auto reason = [&](const std::string& body) { return feed(store, body, kT0).first_reason; };
    CHECK(reason(test::otlp_body(test::gauge_metric(std::string(base::kMaxOtlpNameBytes + 1, 'n'), 1, kT0))) ==
          Reject::name_too_long);
    CHECK(reason(gauge_with_attr("g", std::string(base::kMaxOtlpLabelNameBytes + 1, 'k'), "v")) == Reject::label_too_long);
    CHECK(reason(gauge_with_attr("g", "k", std::string(base::kMaxOtlpLabelValueBytes + 1, 'v'))) == Reject::label_too_long);
    CHECK(reason(test::otlp_body(test::gauge_metric("g", 1, kT0), std::string(base::kMaxOtlpLabelValueBytes + 1, 's'))) ==
          Reject::label_too_long);  // service.name becomes job on every line
    std::string many = "[";
    for (size_t i = 0; i < base::kMaxOtlpLabelsPerSeries; ++i) many += (i ? "," : "") + attr("k" + std::to_string(i), "v");
    CHECK(reason(test::otlp_body(test::gauge_metric("g", 1, kT0, many + "]"))) == Reject::too_many_labels);
    // Exactly at the caps is fine.
    CHECK(feed(store, gauge_with_attr("g", std::string(base::kMaxOtlpLabelNameBytes, 'k'),
                                      std::string(base::kMaxOtlpLabelValueBytes, 'v')), kT0).accepted == 1);
    CHECK(store.series().size() == 1);
}

TEST_CASE("nan_or_infinite_bounds_and_quantiles_outside_0_1_are_refused") {
    Store store({});
    const auto hist = [](std::string_view bounds) {
        return test::otlp_body(R"({"name":"h","histogram":{"aggregationTemporality":2,"dataPoints":[
            {"timeUnixNano":"1700000000000000000","count":"3","bucketCounts":["1","1","1"],"explicitBounds":)" +
                               std::string(bounds) + "}]}}");
    };
    CHECK(feed(store, hist(R"(["NaN",2])"), kT0).first_reason == Reject::bad_bound);
    CHECK(feed(store, hist(R"([1,"Infinity"])"), kT0).first_reason == Reject::bad_bound);
    const auto summary = [](std::string_view q) {
        return test::otlp_body(R"({"name":"s","summary":{"dataPoints":[{"timeUnixNano":"1700000000000000000","count":"1",
            "sum":1,"quantileValues":[{"quantile":)" + std::string(q) + R"(,"value":1}]}]}})");
    };
    CHECK(feed(store, summary(R"("NaN")"), kT0).first_reason == Reject::bad_bound);
    CHECK(feed(store, summary("1.5"), kT0).first_reason == Reject::bad_bound);
    CHECK(feed(store, summary("0.5"), kT0).accepted == 1);
    CHECK(store.counters().points_rejected[size_t(Reject::bad_bound)] == 4);
    // The same NaN request five times made five series before: none now.
    for (int i = 0; i < 5; ++i) (void)feed(store, hist(R"(["NaN",2])"), kT0);
    CHECK(store.families().size() <= 2);
}

TEST_CASE("minus_zero_and_zero_bounds_are_one_series") {
    Store store({});
    const auto hist = [](std::string_view bound, int64_t t) {
        return test::otlp_body(R"({"name":"h","histogram":{"aggregationTemporality":2,"dataPoints":[
            {"timeUnixNano":")" + std::to_string(t) + R"(","count":"2","bucketCounts":["1","1"],"explicitBounds":[)" +
                               std::string(bound) + "]}]}}");
    };
    REQUIRE(feed(store, hist("-0.0", kT0), kT0).accepted == 1);
    REQUIRE(feed(store, hist("0", kT0 + kSec), kT0 + kSec).accepted == 1);
    CHECK(store.series().size() == 3);  // le=0, le=+Inf, count
}

TEST_CASE("points_from_a_wrong_clock_are_stored_at_receipt_and_counted") {
    Store store({});
    constexpr int64_t k2018 = 1'514'764'800 * kSec;
    constexpr int64_t k2099 = 4'070'908'800 * kSec;
    REQUIRE(feed(store, test::otlp_body(test::gauge_metric("old", 1, k2018)), kT0).accepted == 1);
    REQUIRE(feed(store, test::otlp_body(test::gauge_metric("future", 1, k2099)), kT0).accepted == 1);
    CHECK(store.counters().clock_skew_past == 1);
    CHECK(store.counters().clock_skew_future == 1);
    for (const Series& s : store.series()) {
        CHECK(s.last_ms == kT0 / 1'000'000);
        CHECK(store.live(s, kT0));
    }
    // The 2099 point does not freeze its series: a real point a second later is taken.
    CHECK(feed(store, test::otlp_body(test::gauge_metric("future", 2, kT0 + kSec)), kT0 + kSec).accepted == 1);
    // And nothing leaves /metrics soon: series are live for the window after receipt.
    for (const Series& s : store.series()) CHECK(store.live(s, kT0 + 2 * kSec));
    // Within ten minutes a point keeps its own time.
    REQUIRE(feed(store, test::otlp_body(test::gauge_metric("near", 1, kT0 - 5 * 60 * kSec)), kT0).accepted == 1);
    CHECK(store.series().back().last_ms == (kT0 - 5 * 60 * kSec) / 1'000'000);
}

TEST_CASE("long_descriptions_are_cut_at_a_character_boundary") {
    Store store({});
    std::string desc(base::kMaxOtlpDescriptionBytes - 1, 'd');
    desc += "\xc3\xa9tail";  // a two-byte character across the cut
    const std::string body = test::otlp_body(R"({"name":"g","description":")" + desc +
                                             R"(","gauge":{"dataPoints":[{"timeUnixNano":"1700000000000000000","asInt":"1"}]}})");
    REQUIRE(feed(store, body, kT0).accepted == 1);
    const std::string_view kept = store.strings().get(store.families()[0].description);
    CHECK(kept.size() == base::kMaxOtlpDescriptionBytes - 1);
    CHECK(store.counters().descriptions_cut == 1);
}

namespace {

std::string exp_metric(int temporality, int scale, std::string_view pos, int pos_offset, int64_t t, uint64_t count,
                       double sum, uint64_t zero = 0) {
    return test::otlp_body(R"({"name":"e","exponentialHistogram":{"aggregationTemporality":)" + std::to_string(temporality) +
                           R"(,"dataPoints":[{"timeUnixNano":")" + std::to_string(t) + R"(","count":")" +
                           std::to_string(count) + R"(","sum":)" + std::to_string(sum) + R"(,"scale":)" +
                           std::to_string(scale) + R"(,"zeroCount":")" + std::to_string(zero) +
                           R"(","zeroThreshold":0.25,"positive":{"offset":)" + std::to_string(pos_offset) +
                           R"(,"bucketCounts":[)" + std::string(pos) + R"(]},"min":0.5,"max":9}]}})");
}

const ExpHistogram& only_exponential(const Store& store) {
    for (uint32_t id = 0; id < store.series().size(); ++id)
        if (const ExpHistogram* h = store.exponential(id)) return *h;
    FAIL("no exponential histogram stored");
    static ExpHistogram none;
    return none;
}

}  // namespace

TEST_CASE("exponential_histograms_are_kept_whole") {
    Store store({});
    REQUIRE(feed(store, exp_metric(2, 3, R"("1","2","3")", -2, kT0, 7, 9.5, 1), kT0).accepted == 1);
    const ExpHistogram& h = only_exponential(store);
    CHECK(h.scale == 3);
    CHECK(h.zero_count == 1);
    CHECK(h.zero_threshold == 0.25);
    CHECK(h.positive_offset == -2);
    CHECK(h.positive == std::vector<uint64_t>{1, 2, 3});
    CHECK(h.count == 7);
    CHECK(h.sum == 9.5);
    CHECK((h.has_min && h.min == 0.5 && h.has_max && h.max == 9));
    // A cumulative point replaces it.
    REQUIRE(feed(store, exp_metric(2, 2, R"("5")", 0, kT0 + kSec, 5, 1), kT0 + kSec).accepted == 1);
    CHECK(only_exponential(store).positive == std::vector<uint64_t>{5});
    CHECK(only_exponential(store).scale == 2);
}

TEST_CASE("delta_exponential_histograms_add_up_at_the_coarser_scale") {
    Store store({});
    REQUIRE(feed(store, exp_metric(1, 2, R"("1","1")", 4, kT0, 2, 1), kT0).accepted == 1);
    // Same scale, buckets further on: the layout grows.
    REQUIRE(feed(store, exp_metric(1, 2, R"("3")", 6, kT0 + kSec, 3, 2), kT0 + kSec).accepted == 1);
    CHECK(only_exponential(store).positive_offset == 4);
    CHECK(only_exponential(store).positive == std::vector<uint64_t>{1, 1, 3});
    // A coarser delta (scale 1): what is kept is downscaled, index i -> i >> 1.
    REQUIRE(feed(store, exp_metric(1, 1, R"("10")", 2, kT0 + 2 * kSec, 10, 4), kT0 + 2 * kSec).accepted == 1);
    const ExpHistogram& h = only_exponential(store);
    CHECK(h.scale == 1);
    CHECK(h.positive_offset == 2);                             // 4 >> 1
    CHECK(h.positive == std::vector<uint64_t>{12, 3});         // (1+1)+10 at 2, 3 at 3
    CHECK(h.count == 15);
    CHECK(h.sum == 7);
}

TEST_CASE("exponential_scales_outside_otlp_range_are_refused_and_far_offsets_merge_small") {
    Store store({});
    CHECK(feed(store, exp_metric(1, 21, R"("1")", 0, kT0, 1, 1), kT0).first_reason == Reject::bad_bound);
    CHECK(feed(store, exp_metric(1, -11, R"("1")", 0, kT0, 1, 1), kT0).first_reason == Reject::bad_bound);
    // Deltas whose buckets lie 2^31 apart (the least and greatest index at
    // scale 20): merged by halving, never a huge array.
    REQUIRE(feed(store, exp_metric(1, 20, R"("1")", -(1074 << 20), kT0, 1, 1), kT0).accepted == 1);
    REQUIRE(feed(store, exp_metric(1, 20, R"("2")", (1024 << 20) - 1, kT0 + kSec, 2, 1), kT0 + kSec).accepted == 1);
    const ExpHistogram& h = only_exponential(store);
    CHECK(h.positive.size() <= 2 * base::kMaxOtlpHistogramBuckets);
    CHECK(h.count == 3);
    uint64_t total = 0;
    for (uint64_t c : h.positive) total += c;
    CHECK(total == 3);
}

// Points a native histogram cannot carry exactly, each refused by name: a
// count over 2^63-1 was exposed as a negative bucket and Prometheus failed
// the whole scrape; a count that is not the buckets' sum, or an index off
// the doubles, was exposed wrong.
TEST_CASE("exponential_points_a_native_histogram_cannot_carry_are_refused") {
    Store store({});
    const uint64_t big = uint64_t{1} << 63;
    const std::string huge = "\"" + std::to_string(big) + "\"";
    CHECK(feed(store, exp_metric(2, 0, huge, 0, kT0, big, 1), kT0).first_reason == Reject::count_overflow);
    CHECK(feed(store, exp_metric(2, 0, R"("1")", 0, kT0, big, 1, big - 1), kT0).first_reason == Reject::count_overflow);
    const std::string half = "\"" + std::to_string(big / 2) + "\"";
    CHECK(feed(store, exp_metric(2, 0, half + "," + half, 0, kT0, big - 1, 1), kT0).first_reason ==
          Reject::count_overflow);  // the sum passes 2^63-1
    CHECK(feed(store, exp_metric(2, 0, R"("1","2")", 0, kT0, 4, 1), kT0).first_reason == Reject::count_mismatch);
    CHECK(feed(store, exp_metric(2, 0, R"("1","2")", 0, kT0, 4, 1, 2), kT0).first_reason == Reject::count_mismatch);
    CHECK(feed(store, exp_metric(2, 0, R"("1")", 1024, kT0, 1, 1), kT0).first_reason == Reject::index_out_of_range);
    CHECK(feed(store, exp_metric(2, 0, R"("1")", -1075, kT0, 1, 1), kT0).first_reason == Reject::index_out_of_range);
    CHECK(feed(store, exp_metric(2, 20, R"("1")", 2147483647, kT0, 1, 1), kT0).first_reason ==
          Reject::index_out_of_range);
    CHECK(feed(store, exp_metric(2, -10, R"("1","1")", 0, kT0, 2, 1), kT0).first_reason == Reject::index_out_of_range);
    // At the edges, accepted.
    CHECK(feed(store, exp_metric(2, 0, R"("1")", 1023, kT0, 1, 1), kT0).accepted == 1);
    CHECK(feed(store, exp_metric(2, -10, R"("1")", -1, kT0 + 1, 1, 1), kT0 + 1).accepted == 1);
    const std::string max = "\"" + std::to_string(big - 1) + "\"";
    CHECK(feed(store, exp_metric(2, 0, max, 0, kT0 + 2, big - 1, 1), kT0 + 2).accepted == 1);
    CHECK(store.counters().points_rejected[size_t(Reject::count_overflow)] == 3);
    CHECK(store.counters().points_rejected[size_t(Reject::count_mismatch)] == 2);
    CHECK(store.counters().points_rejected[size_t(Reject::index_out_of_range)] == 4);
}

TEST_CASE("delta_exponential_points_that_would_add_up_past_2_to_the_63_are_refused") {
    Store store({});
    const uint64_t big = (uint64_t{1} << 62) + 1;
    const std::string b = "\"" + std::to_string(big) + "\"";
    REQUIRE(feed(store, exp_metric(1, 0, b, 0, kT0, big, 1), kT0).accepted == 1);
    CHECK(feed(store, exp_metric(1, 0, b, 0, kT0 + kSec, big, 1), kT0 + kSec).first_reason == Reject::count_overflow);
    CHECK(only_exponential(store).count == big);
}
