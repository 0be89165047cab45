#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "daemon/history_keeper.hpp"
#include "daemon/otlp_history.hpp"
#include "history/iterator.hpp"
#include "otlp/exposition.hpp"
#include "support/otlp_test_util.hpp"

using namespace mmwatch;
using namespace mmwatch::daemon;

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;
constexpr int64_t kT0ms = kT0 / 1'000'000;

HistoryConfig config() {
    HistoryConfig c;
    c.store.max_bytes = 8 << 20;
    for (int64_t& r : c.store.retention_ms) r = 0;
    c.interval_ms = 1000;
    return c;
}

// An OTLP store feeding a keeper, with the labels the sampler sets.
struct Rig {
    HistoryKeeper keeper{config()};
    test::OtlpRig otlp;
    Rig() {
        keeper.otlp().set_labels({{"instance", "host:9479"}, {"job", "mmwatch"}}, {{"site", "lab"}});
        otlp.store.set_sink(&keeper.otlp());
    }
    void post(const std::string& metrics, int64_t now_ns) {
        test::TestRequest t("POST", "/v1/metrics", "", test::otlp_body(metrics), "application/json");
        REQUIRE(otlp.receiver.handle_export(t.export_request(), now_ns).status == 200);
    }
    // The sample pipeline's batch of the OTLP part of /metrics at `t_ms`.
    std::shared_ptr<const prom::SampleBatch> batch(int64_t now_ns, int64_t t_ms) {
        prom::SampleCollector c({{"instance", "host:9479"}, {"job", "mmwatch"}}, {{"site", "lab"}});
        (void)otlp::render_prometheus(otlp.store, c, otlp::NoneTaken(), now_ns);
        return std::make_shared<const prom::SampleBatch>(std::move(c), t_ms);
    }
};

std::vector<history::Sample> samples_of(history::Store& store, std::vector<history::LabelView> labels) {
    const history::SeriesId id = store.find(labels);
    std::vector<history::Sample> out;
    if (id == history::kNoSeries) return out;
    for (history::SampleIterator it = store.samples(id, INT64_MIN, INT64_MAX); it.next();) out.push_back(it.sample());
    return out;
}

// g{room="a"} from service "checkout", as a scrape of mmwatch stores it.
const std::vector<history::LabelView> kGauge = {
    {"__name__", "g"},          {"exported_job", "checkout"},  {"instance", "host:9479"}, {"job", "mmwatch"},
    {"otel_scope_name", "test.scope"}, {"otel_scope_version", "1.2"}, {"room", "a"}, {"site", "lab"}};
constexpr const char* kRoom = R"([{"key":"room","value":{"stringValue":"a"}}])";

}  // namespace

TEST_CASE("otlp_points_are_stored_at_their_own_timestamps_under_the_scraped_label_set") {
    Rig rig;
    for (int i = 0; i < 3; ++i) rig.post(test::gauge_metric("g", 10 + i, kT0 + i * 700'000'000, kRoom), kT0 + 3 * kSec);
    const auto s = samples_of(rig.keeper.store(), kGauge);
    REQUIRE(s.size() == 3);
    for (int i = 0; i < 3; ++i) {
        CHECK(s[size_t(i)].t == kT0ms + i * 700);
        CHECK(s[size_t(i)].value() == 10 + i);
    }
    CHECK(rig.keeper.otlp().count(OtlpPointResult::stored) == 3);
}

TEST_CASE("a_sampled_otlp_series_is_not_stored_again_at_sample_times_but_gets_its_staleness_marker") {
    Rig rig;
    rig.post(test::gauge_metric("g", 1, kT0, kRoom), kT0);
    rig.keeper.consume(rig.batch(kT0, kT0ms + 500));  // the sampler sees g: skipped
    rig.post(test::gauge_metric("g", 2, kT0 + kSec, kRoom), kT0 + kSec);
    rig.keeper.consume(rig.batch(kT0 + kSec, kT0ms + 1500));
    // Past --otlp-window (5 minutes by default) g leaves /metrics: one marker.
    const int64_t later = kT0 + 400 * kSec;
    rig.keeper.consume(rig.batch(later, later / 1'000'000));
    const auto s = samples_of(rig.keeper.store(), kGauge);
    REQUIRE(s.size() == 3);
    CHECK(s[0].t == kT0ms);
    CHECK(s[0].value() == 1);
    CHECK(s[1].t == kT0ms + 1000);
    CHECK(s[1].value() == 2);
    CHECK(s[2].t == later / 1'000'000);
    CHECK(history::is_stale_marker(s[2].bits));
    // g once, and target_info: no OTLP point of its own, it is sampled.
    CHECK(rig.keeper.store().stats().series == 2);
}

TEST_CASE("otlp_points_the_history_refuses_are_counted_by_name") {
    Rig rig;
    rig.post(test::gauge_metric("g", 1, kT0 + kSec, kRoom), kT0);
    // The OTLP store takes a point at its series' last time; history keeps
    // one value per timestamp: another value is a duplicate, the same one a resend.
    rig.post(test::gauge_metric("g", 2, kT0 + kSec, kRoom), kT0);
    rig.post(test::gauge_metric("g", 2, kT0 + kSec, kRoom), kT0);
    CHECK(rig.keeper.otlp().count(OtlpPointResult::stored) == 1);
    CHECK(rig.keeper.otlp().count(OtlpPointResult::duplicate) == 2);
    // A series history cannot name (an empty label value is dropped, a
    // name Prometheus refuses cannot come from OTLP): none here.
    CHECK(rig.keeper.otlp().count(OtlpPointResult::bad_labels) == 0);
    std::string page;
    const auto w = prom::make_writer(prom::Format::text, page);
    rig.keeper.write_self_metrics(*w);
    w->finish();
    CHECK(page.find("mmwatch_history_otlp_points_total{result=\"duplicate\"} 2") != std::string::npos);
    CHECK(page.find("mmwatch_history_otlp_points_total{result=\"loading\"} 0") != std::string::npos);
}

TEST_CASE("otlp_histograms_and_delta_sums_land_as_their_scraped_series") {
    Rig rig;
    rig.post(test::sum_metric("req", 5, kT0, 1, true), kT0);
    rig.post(test::sum_metric("req", 5, kT0 + kSec, 1, true), kT0 + kSec);
    std::vector<history::LabelView> req = {{"__name__", "req_total"},  {"exported_job", "checkout"},
                                           {"instance", "host:9479"},  {"job", "mmwatch"},
                                           {"otel_scope_name", "test.scope"}, {"otel_scope_version", "1.2"},
                                           {"site", "lab"}};
    const auto s = samples_of(rig.keeper.store(), req);
    REQUIRE(s.size() == 2);
    CHECK(s[1].value() == 10);  // delta points added up, as /metrics shows them
}

namespace {

// The page's names: a file family or a self-metric has these.
struct Taken final : otlp::TakenNames {
    std::vector<std::string> names;
    [[nodiscard]] bool taken(std::string_view name) const override {
        for (const std::string& n : names)
            if (n == name) return true;
        return false;
    }
};

}  // namespace

TEST_CASE("otlp_points_of_a_family_whose_name_a_file_metric_has_are_refused_as_name_taken") {
    Rig rig;
    Taken taken;
    taken.names = {"g"};
    rig.keeper.otlp().attach(rig.otlp.store, taken);
    rig.post(test::gauge_metric("g", 1, kT0, kRoom), kT0);
    rig.post(test::gauge_metric("other", 1, kT0, kRoom), kT0);
    CHECK(rig.keeper.otlp().count(OtlpPointResult::name_taken) == 1);
    CHECK(rig.keeper.otlp().count(OtlpPointResult::stored) == 1);
    CHECK(samples_of(rig.keeper.store(), kGauge).empty());
}

TEST_CASE("two_otlp_families_with_one_sample_name_the_first_keeps_it_in_history_as_on_metrics") {
    Rig rig;
    const otlp::NoneTaken none;
    rig.keeper.otlp().attach(rig.otlp.store, none);
    // The monotonic sum "req" is req_total on /metrics; so is the gauge
    // "req_total", which comes second and is left out there and here.
    rig.post(test::sum_metric("req", 5, kT0, 2, true), kT0);
    rig.post(test::gauge_metric("req_total", 7, kT0), kT0);
    CHECK(rig.keeper.otlp().count(OtlpPointResult::stored) == 1);
    CHECK(rig.keeper.otlp().count(OtlpPointResult::name_taken) == 1);
}

TEST_CASE("a_family_that_loses_its_name_to_a_file_metric_gives_the_series_back_to_the_sample_pipeline") {
    Rig rig;
    Taken taken;
    rig.keeper.otlp().attach(rig.otlp.store, taken);
    rig.post(test::gauge_metric("g", 1, kT0, kRoom), kT0);
    rig.keeper.consume(rig.batch(kT0, kT0ms + 500));  // g is OTLP's: skipped by the pipeline
    REQUIRE(samples_of(rig.keeper.store(), kGauge).size() == 1);
    // A file family named g appears; the same label set is in the next
    // batch (here: the OTLP part rendered without the names taken, as a
    // stand-in for the file's series with equal labels).
    taken.names = {"g"};
    rig.keeper.consume(rig.batch(kT0 + kSec, kT0ms + 1500));
    const auto s = samples_of(rig.keeper.store(), kGauge);
    REQUIRE(s.size() == 2);
    CHECK(s[1].t == kT0ms + 1500);  // sampled at the batch's time: the pipeline's again
    rig.post(test::gauge_metric("g", 5, kT0 + 2 * kSec, kRoom), kT0 + 2 * kSec);
    CHECK(rig.keeper.otlp().count(OtlpPointResult::name_taken) == 1);
    CHECK(samples_of(rig.keeper.store(), kGauge).size() == 2);
}

TEST_CASE("a_family_gone_from_metrics_gives_its_series_back_so_a_file_taking_its_name_later_is_sampled") {
    Rig rig;
    Taken taken;
    rig.keeper.otlp().attach(rig.otlp.store, taken);
    rig.post(test::gauge_metric("g", 1, kT0, kRoom), kT0);
    rig.keeper.consume(rig.batch(kT0, kT0ms + 500));
    // Past --otlp-window g is off /metrics; a file family g comes, whose
    // series has g's labels (the batch rendered at kT0 stands in for it).
    taken.names = {"g"};
    const int64_t later_ms = kT0ms + 400'000;
    rig.keeper.consume(rig.batch(kT0, later_ms));
    const auto s = samples_of(rig.keeper.store(), kGauge);
    REQUIRE(s.size() == 2);
    CHECK(s[1].t == later_ms);
    CHECK(s[1].value() == 1);
}

TEST_CASE("what_the_otlp_side_holds_per_series_is_counted_in_the_history_budget") {
    Rig rig;
    const otlp::NoneTaken none;
    rig.keeper.otlp().attach(rig.otlp.store, none);
    CHECK(rig.keeper.store().stats().feeder_bytes == 0);
    for (int i = 0; i < 100; ++i)
        rig.post(test::gauge_metric("g" + std::to_string(i), 1, kT0, kRoom), kT0);
    // A history id (8 bytes) per OTLP series, a verdict per family and the
    // family's claimed name.
    const size_t bytes = rig.keeper.otlp().memory_bytes();
    CHECK(bytes >= 100 * 8 + 100);
    CHECK(rig.keeper.store().stats().feeder_bytes == bytes);
    CHECK(rig.keeper.store().stats().index_bytes >= bytes);
}
