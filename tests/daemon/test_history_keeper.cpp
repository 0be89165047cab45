#include <doctest/doctest.h>

#include <uv.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/limits.hpp"
#include "daemon/history_keeper.hpp"
#include "history/iterator.hpp"
#include "support/temp_dir.hpp"

using namespace mmwatch;
using namespace mmwatch::daemon;

namespace {

// One batch of gauges `name`=value, each with job="j", at `t_ms`.
std::shared_ptr<const prom::SampleBatch> batch(std::vector<std::pair<std::string, double>> gauges, int64_t t_ms) {
    prom::SampleCollector c({}, {});
    for (const auto& [name, v] : gauges) {
        c.family(name, prom::Kind::gauge, "help", {});
        std::string labels;
        c.label(labels, "job", "j");
        c.metric(labels);
        c.value(v);
    }
    return std::make_shared<const prom::SampleBatch>(std::move(c), t_ms);
}

HistoryConfig config(std::string dir = {}) {
    HistoryConfig c;
    c.store.max_bytes = 8 << 20;
    for (int64_t& r : c.store.retention_ms) r = 0;
    c.interval_ms = 1000;
    c.dir = std::move(dir);
    c.disk_bytes = 64 << 20;
    c.flush_interval_ms = 60'000;
    c.max_body_bytes = 1 << 20;
    c.max_export_bytes = 1 << 20;
    return c;
}

std::vector<history::Sample> samples_of(history::Store& store, std::string_view name) {
    std::vector<history::LabelView> l = {{"__name__", name}, {"job", "j"}};
    const history::SeriesId id = store.find(l);
    std::vector<history::Sample> out;
    if (id == history::kNoSeries) return out;
    for (history::SampleIterator it = store.samples(id, INT64_MIN, INT64_MAX); it.next();) out.push_back(it.sample());
    return out;
}

// Gauges g<from>..g<from+n-1>, each valued its number and a quarter.
std::vector<std::pair<std::string, double>> gauges(size_t n, size_t from = 0) {
    std::vector<std::pair<std::string, double>> out;
    for (size_t i = from; i < from + n; ++i) out.emplace_back("g" + std::to_string(i), double(i) + 0.25);
    return out;
}

std::string self_metrics(const HistoryKeeper& k) {
    std::string text;
    const auto w = prom::make_writer(prom::Format::text, text);
    k.write_self_metrics(*w);
    w->finish();
    return text;
}

// How many of g0..g<n-1> end in a staleness marker.
size_t marked(HistoryKeeper& k, size_t n) {
    size_t out = 0;
    for (size_t i = 0; i < n; ++i) {
        const auto g = samples_of(k.store(), "g" + std::to_string(i));
        out += !g.empty() && history::is_stale_marker(g.back().bits);
    }
    return out;
}

struct Loop {
    uv_loop_t loop{};
    Loop() { REQUIRE(uv_loop_init(&loop) == 0); }
    ~Loop() {
        uv_run(&loop, UV_RUN_NOWAIT);
        (void)uv_loop_close(&loop);
    }
    // Turns the loop until the keeper's reload and the intake of the
    // batches it was given are done (each turn one step).
    size_t load(HistoryKeeper& k) {
        size_t turns = 0;
        while ((k.loading() || k.taking_in()) && turns < 100'000) {
            uv_run(&loop, UV_RUN_NOWAIT);
            ++turns;
        }
        return turns;
    }
    void turn() { uv_run(&loop, UV_RUN_NOWAIT); }
};

}  // namespace

TEST_CASE("each_batch_appends_its_series_and_a_series_gone_gets_one_staleness_marker") {
    HistoryKeeper k(config());
    k.consume(batch({{"a", 1}, {"b", 2}}, 1000));
    k.consume(batch({{"a", 3}}, 2000));
    k.consume(batch({{"a", 4}}, 3000));
    const auto a = samples_of(k.store(), "a");
    REQUIRE(a.size() == 3);
    CHECK(a[2].t == 3000);
    CHECK(a[2].value() == 4);
    const auto b = samples_of(k.store(), "b");
    REQUIRE(b.size() == 2);
    CHECK(b[0].value() == 2);
    CHECK(b[1].t == 2000);
    CHECK(history::is_stale_marker(b[1].bits));
}

TEST_CASE("a_series_whose_labels_sort_before_its_name_is_found_again_for_its_staleness_marker") {
    // "Zone" sorts before "__name__" (uppercase before '_'): not canonical as sent.
    prom::SampleCollector c({}, {});
    c.family("a", prom::Kind::gauge, "help", {});
    std::string labels;
    c.label(labels, "Zone", "z");
    c.metric(labels);
    c.value(1);
    HistoryKeeper k(config());
    k.consume(std::make_shared<const prom::SampleBatch>(std::move(c), 1000));
    k.consume(batch({}, 2000));
    std::vector<history::LabelView> l = {{"Zone", "z"}, {"__name__", "a"}};
    const history::SeriesId id = k.store().find(l);
    REQUIRE(id != history::kNoSeries);
    std::vector<history::Sample> got;
    for (history::SampleIterator it = k.store().samples(id, INT64_MIN, INT64_MAX); it.next();) got.push_back(it.sample());
    REQUIRE(got.size() == 2);
    CHECK(history::is_stale_marker(got[1].bits));
}

TEST_CASE("a_series_back_after_a_gap_is_appended_again_after_its_marker") {
    HistoryKeeper k(config());
    k.consume(batch({{"a", 1}}, 1000));
    k.consume(batch({}, 2000));
    k.consume(batch({{"a", 5}}, 3000));
    const auto a = samples_of(k.store(), "a");
    REQUIRE(a.size() == 3);
    CHECK(history::is_stale_marker(a[1].bits));
    CHECK(a[2].value() == 5);
}

TEST_CASE("a_series_twice_in_one_batch_is_listed_once_and_marked_once_when_it_goes") {
    HistoryKeeper k(config());
    k.consume(batch({{"a", 1}, {"a", 1}}, 1000));
    k.consume(batch({}, 2000));
    k.consume(batch({}, 3000));
    const auto a = samples_of(k.store(), "a");
    REQUIRE(a.size() == 2);
    CHECK(a[1].t == 2000);
    CHECK(history::is_stale_marker(a[1].bits));
}

TEST_CASE("a_series_made_between_batches_by_another_feeder_gets_no_marker_from_the_pipeline") {
    // A slot reused since the last batch is the same case: its series
    // starts with no batch number, so only the last batch's series are marked.
    HistoryKeeper k(config());
    k.consume(batch({{"a", 1}}, 1000));
    std::vector<history::LabelView> c = {{"__name__", "c"}, {"job", "j"}};
    const history::SeriesId id = k.store().series(c).id;
    REQUIRE(id != history::kNoSeries);
    CHECK(k.store().last_batch(id) == 0);
    REQUIRE(k.store().append(id, 1500, history::value_bits(7)) == history::AppendStatus::stored);
    k.consume(batch({{"a", 2}}, 2000));
    k.consume(batch({{"a", 3}}, 3000));
    REQUIRE(samples_of(k.store(), "c").size() == 1);
    CHECK(samples_of(k.store(), "a").size() == 3);
}

TEST_CASE("the_keepers_batch_lists_are_counted_in_the_stores_budget_at_4_bytes_a_series_each") {
    HistoryKeeper k(config());
    std::vector<std::pair<std::string, double>> gauges;
    for (int i = 0; i < 1000; ++i) gauges.emplace_back("g" + std::to_string(i), i);
    k.consume(batch(gauges, 1000));
    k.consume(batch(gauges, 2000));
    const history::StoreStats st = k.store().stats();
    // The two lists (this batch's and the last) reserved for 1,000 series,
    // and nothing per OTLP series (none here).
    CHECK(st.feeder_bytes >= 2 * 1000 * sizeof(history::SeriesId));
    CHECK(st.feeder_bytes < 2 * 2 * 1000 * sizeof(history::SeriesId));
    CHECK(st.index_bytes >= st.feeder_bytes);
    std::string page;
    const auto w = prom::make_writer(prom::Format::text, page);
    k.write_self_metrics(*w);
    w->finish();
    CHECK(page.find("mmwatch_history_feeder_bytes " + std::to_string(st.feeder_bytes) + "\n") != std::string::npos);
}

TEST_CASE("a_remote_write_body_that_is_not_snappy_is_refused_and_counted_by_name") {
    HistoryKeeper k(config());
    const history::WriteResult r = k.receive_write("not snappy at all");
    CHECK(r.error == history::WriteError::bad_snappy);
    std::string text;
    auto w = prom::make_writer(prom::Format::text, text);
    k.write_self_metrics(*w);
    CHECK(text.find("mmwatch_history_remote_write_requests_total{error=\"bad_snappy\"} 1") != std::string::npos);
    CHECK(text.find("mmwatch_history_remote_write_refused_total{reason=\"loading\"} 0") != std::string::npos);
    CHECK(text.find("mmwatch_history_samples{tier=\"raw\"} 0") != std::string::npos);
}

TEST_CASE("what_close_flushes_to_the_history_dir_comes_back_at_the_next_start") {
    test::TempDir tmp;
    const std::string dir = tmp.path() + "/history";
    {
        Loop loop;
        HistoryKeeper k(config(dir));
        std::string warning;
        k.start(&loop.loop, warning);
        CHECK(warning.empty());
        loop.load(k);
        for (int i = 0; i < 50; ++i) {
            k.consume(batch({{"a", i * 0.5}, {"b", -0.0}}, 1'000'000 + i * 1000));
            loop.load(k);
        }
        k.close();
    }
    CHECK(!std::filesystem::is_empty(dir));
    Loop loop;
    HistoryKeeper k(config(dir));
    std::string warning;
    k.start(&loop.loop, warning);
    CHECK(k.loading());
    // Batches during the reload wait, and go in after what was loaded.
    k.consume(batch({{"a", 99}}, 2'000'000));
    CHECK(loop.load(k) > 1);
    const auto a = samples_of(k.store(), "a");
    REQUIRE(a.size() == 51);
    CHECK(a[0].t == 1'000'000);
    CHECK(a[49].value() == 24.5);
    CHECK(a[50].value() == 99);
    const auto b = samples_of(k.store(), "b");
    // 50 loaded; no marker, as a restarted Prometheus writes none for the
    // series of its last scrape before the restart.
    REQUIRE(b.size() == 50);
    CHECK(b[0].bits == history::value_bits(-0.0));
    k.close();
}

TEST_CASE("a_history_dir_that_cannot_be_made_leaves_the_store_in_memory_with_a_warning") {
    test::TempDir tmp;
    tmp.write("file", {std::byte{1}});
    Loop loop;
    HistoryKeeper k(config(tmp.file("file") + "/below"));
    std::string warning;
    k.start(&loop.loop, warning);
    CHECK(warning.find("memory only") != std::string::npos);
    CHECK(!k.loading());
    k.consume(batch({{"a", 1}}, 1000));
    loop.load(k);
    CHECK(samples_of(k.store(), "a").size() == 1);
    k.close();
}

TEST_CASE("a_second_keeper_on_the_same_history_dir_keeps_its_history_in_memory") {
    test::TempDir tmp;
    Loop loop;
    HistoryKeeper first(config(tmp.path()));
    std::string warning;
    first.start(&loop.loop, warning);
    CHECK(warning.empty());
    HistoryKeeper second(config(tmp.path()));
    second.start(&loop.loop, warning);
    CHECK(warning.find("another mmwatch is using it") != std::string::npos);
    CHECK(!second.loading());
    loop.load(first);
    first.close();
    second.close();
}

// --- a batch's intake across loop turns --------------------------------------------

namespace {

// A keeper started on its own loop, in memory only.
struct Started {
    Loop loop;
    HistoryKeeper k{config()};
    Started() {
        std::string warning;
        k.start(&loop.loop, warning);
    }
};

}  // namespace

TEST_CASE_FIXTURE(Started, "a_sampled_batch_is_taken_in_at_most_kHistoryIntakeStepSeries_series_a_loop_turn") {
    constexpr size_t kStep = base::kHistoryIntakeStepSeries;
    k.consume(batch(gauges(2 * kStep + 10), 1000));
    CHECK(k.store().stats().series == 0);  // nothing in the sampler's own turn
    CHECK(k.taking_in());
    loop.turn();
    CHECK(k.store().stats().series == kStep);
    loop.turn();
    CHECK(k.store().stats().series == 2 * kStep);
    loop.turn();
    CHECK(k.store().stats().series == 2 * kStep + 10);
    loop.load(k);
    CHECK(!k.taking_in());
    for (const size_t i : {size_t(0), kStep - 1, kStep, 2 * kStep + 9}) {
        const auto g = samples_of(k.store(), "g" + std::to_string(i));
        REQUIRE(g.size() == 1);
        CHECK(g[0].t == 1000);
        CHECK(g[0].bits == history::value_bits(double(i) + 0.25));
    }
    const std::string text = self_metrics(k);
    CHECK(text.find("mmwatch_history_batches_taken_in_total 1\n") != std::string::npos);
    CHECK(text.find("mmwatch_history_intake_steps_total 3\n") != std::string::npos);
    k.close();
}

TEST_CASE_FIXTURE(Started, "the_staleness_markers_of_a_batch_are_written_at_most_kHistoryIntakeStepSeries_a_loop_turn") {
    constexpr size_t kStep = base::kHistoryIntakeStepSeries;
    k.consume(batch(gauges(2 * kStep), 1000));
    loop.load(k);
    REQUIRE(k.store().stats().series == 2 * kStep);
    REQUIRE(marked(k, 2 * kStep) == 0);
    k.consume(batch({}, 2000));  // every series gone
    loop.turn();
    CHECK(marked(k, 2 * kStep) == kStep);
    loop.load(k);
    CHECK(marked(k, 2 * kStep) == 2 * kStep);
    const auto g = samples_of(k.store(), "g" + std::to_string(2 * kStep - 1));
    REQUIRE(g.size() == 2);
    CHECK(g[1].t == 2000);
    CHECK(history::is_stale_marker(g[1].bits));
    k.close();
}

TEST_CASE_FIXTURE(Started, "a_batch_that_comes_while_one_is_taken_in_waits_its_turn_and_gets_the_right_markers") {
    constexpr size_t kStep = base::kHistoryIntakeStepSeries;
    k.consume(batch(gauges(2 * kStep + 10), 1000));
    loop.turn();  // the first kStep series are in
    // The next batch: the first kStep series stay, the rest are gone, one is new.
    auto next = gauges(kStep);
    next.emplace_back("late", 7);
    k.consume(batch(next, 2000));
    CHECK(samples_of(k.store(), "late").empty());
    loop.load(k);
    const auto kept = samples_of(k.store(), "g0");
    REQUIRE(kept.size() == 2);
    CHECK(kept[0].t == 1000);
    CHECK(kept[1].t == 2000);
    CHECK(kept[1].bits == history::value_bits(0.25));
    const auto gone = samples_of(k.store(), "g" + std::to_string(2 * kStep + 9));
    REQUIRE(gone.size() == 2);
    CHECK(gone[0].bits == history::value_bits(double(2 * kStep + 9) + 0.25));
    CHECK(gone[1].t == 2000);
    CHECK(history::is_stale_marker(gone[1].bits));
    REQUIRE(samples_of(k.store(), "late").size() == 1);
    // The second batch is the last one now: its series get the next markers.
    k.consume(batch({}, 3000));
    loop.load(k);
    CHECK(samples_of(k.store(), "g0").size() == 3);
    CHECK(samples_of(k.store(), "late").size() == 2);
    CHECK(samples_of(k.store(), "g" + std::to_string(2 * kStep + 9)).size() == 2);
    CHECK(self_metrics(k).find("mmwatch_history_pending_batches_dropped_total 0\n") != std::string::npos);
    k.close();
}

TEST_CASE_FIXTURE(Started, "batches_waiting_past_kHistoryPendingBatches_drop_the_oldest_counted") {
    k.consume(batch(gauges(2 * base::kHistoryIntakeStepSeries), 1000));
    loop.turn();
    for (size_t i = 0; i <= base::kHistoryPendingBatches; ++i) k.consume(batch({{"a", double(i)}}, 2000 + int64_t(i)));
    loop.load(k);
    const auto a = samples_of(k.store(), "a");
    REQUIRE(a.size() == base::kHistoryPendingBatches);
    CHECK(a[0].t == 2001);
    CHECK(a.back().value() == double(base::kHistoryPendingBatches));
    CHECK(self_metrics(k).find("mmwatch_history_pending_batches_dropped_total 1\n") != std::string::npos);
    k.close();
}

// The batches the keeper holds (the one taken in and those waiting) are
// counted in their own gauge, and let go (at zero) once taken in.
TEST_CASE_FIXTURE(Started, "the_sampled_batches_held_are_counted_until_taken_in") {
    const auto first = batch(gauges(2 * base::kHistoryIntakeStepSeries), 1000);
    const auto second = batch({{"a", 1}}, 2000);
    k.consume(first);
    loop.turn();
    k.consume(second);
    const std::string held =
        "mmwatch_history_sample_batch_bytes " + std::to_string(first->memory_bytes() + second->memory_bytes()) + "\n";
    CHECK(self_metrics(k).find(held) != std::string::npos);
    loop.load(k);
    CHECK(self_metrics(k).find("mmwatch_history_sample_batch_bytes 0\n") != std::string::npos);
    k.close();
}

TEST_CASE_FIXTURE(Started, "close_takes_in_the_batch_under_way_and_those_waiting") {
    constexpr size_t kStep = base::kHistoryIntakeStepSeries;
    k.consume(batch(gauges(2 * kStep), 1000));
    loop.turn();
    k.consume(batch({{"a", 1}}, 2000));
    k.close();
    CHECK(!k.taking_in());
    // Every g is in, and gone from the second batch: its marker too.
    CHECK(marked(k, 2 * kStep) == 2 * kStep);
    CHECK(samples_of(k.store(), "a").size() == 1);
}
