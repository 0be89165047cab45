#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.hpp"
#include "daemon/sampler.hpp"
#include "support/daemon_rig.hpp"

using namespace mmwatch;
using namespace mmwatch::daemon;

namespace {

struct Recorder final : prom::SampleSink {
    std::vector<std::shared_ptr<const prom::SampleBatch>> got;
    void consume(std::shared_ptr<const prom::SampleBatch> batch) override { got.push_back(std::move(batch)); }
};

bool has_series(const prom::SampleBatch& b, std::string_view name, double value) {
    for (size_t i = 0; i < b.size(); ++i) {
        bool named = false;
        prom::for_each_label(b.labels(i), [&](std::string_view n, std::string_view v) {
            named = named || (n == "__name__" && v == name);
        });
        if (named && b.value(i) == value) return true;
    }
    return false;
}

// Six files of 1,000 gauges g0..g999 (6,000 samples: two slices), opened.
void six_files_of_1000_gauges(test::DaemonRig& rig) {
    std::vector<test::Entry> gauges;
    for (int i = 0; i < 1000; ++i) gauges.push_back({2, "g" + std::to_string(i)});
    const std::vector<std::byte> file = test::build(gauges).bytes;
    for (int f = 0; f < 6; ++f) rig.dir.write("f" + std::to_string(f) + ".rezl", file);
    rig.open();
}

}  // namespace

TEST_CASE("every_consumer_due_gets_one_batch_collected_once_at_its_own_interval") {
    test::DaemonRig rig;
    rig.dir.write("app.rezl", test::gauge_file("g", 7));
    rig.open();
    Sampler sampler(*rig.page, {{"instance", "h:9479"}, {"job", "mmwatch"}}, {});
    Recorder fast, slow;
    sampler.add(fast, 1000, 0);
    sampler.add(slow, 3000, 0);
    CHECK(sampler.wait_ms(0) == 1000);
    sampler.run(999, 5000);
    CHECK(fast.got.empty());
    sampler.run(1000, 5000);
    REQUIRE(fast.got.size() == 1);
    CHECK(slow.got.empty());
    CHECK(sampler.wait_ms(1000) == 1000);
    sampler.run(3000, 5000);  // both due: one batch for both
    REQUIRE(fast.got.size() == 2);
    REQUIRE(slow.got.size() == 1);
    CHECK(fast.got[1].get() == slow.got[0].get());
    // Stamped strictly after the last batch although the clock stood still.
    CHECK(fast.got[0]->t_ms() == 5000);
    CHECK(fast.got[1]->t_ms() == 5001);
    // What a scrape sees: the file's series and the self-metrics.
    CHECK(has_series(*slow.got[0], "g", 7));
    CHECK(has_series(*slow.got[0], "mmwatch_build_info", 1));
    // Collecting is not a render of a body.
    CHECK(rig.page->counters().renders[0] == 0);
}

// A directory whose files change every loop turn: each change begins the
// collection under way again (its series so far are of the old plan's
// order), but only base::kMaxSampleRestarts times; then it is made whole
// in one turn, so history and remote_write still get their batch.
TEST_CASE("files_changing_every_turn_restart_a_collection_a_bounded_number_of_times_then_it_is_made_whole") {
    test::DaemonRig rig;
    six_files_of_1000_gauges(rig);
    Sampler sampler(*rig.page, {{"instance", "h:9479"}, {"job", "mmwatch"}}, {});
    Recorder r;
    sampler.add(r, 1000, 0);
    REQUIRE(sampler.run(1000, 5000));
    int turns = 0;
    for (; sampler.collecting() && turns < 10 * int(base::kMaxSampleRestarts); ++turns) {
        rig.dir.write("churn" + std::to_string(turns) + ".rezl", test::gauge_file("c", turns));
        rig.watcher->on_readable(rig.now());
        rig.tick();
        sampler.step();
    }
    REQUIRE(r.got.size() == 1);
    CHECK_FALSE(sampler.collecting());
    CHECK(sampler.counters().restarts == base::kMaxSampleRestarts);
    CHECK(sampler.counters().whole == 1);
    // Each restart came after one slice of the collection before it.
    CHECK(turns == 2 * int(base::kMaxSampleRestarts));
    // The batch is of the last plan: every file's series, the churn's too.
    CHECK(has_series(*r.got[0], "g999", 0));
    CHECK(has_series(*r.got[0], "c", turns - 1));
    size_t gs = 0;
    for (size_t i = 0; i < r.got[0]->size(); ++i) gs += r.got[0]->labels(i).starts_with(std::string("__name__\0g", 10));
    CHECK(gs == 6000);
}

// The file families' series are distinct by construction and collected
// without a lookup each; a later series under one of their names is still
// compared with them, so a batch never holds a series twice.
TEST_CASE("a_sliced_collection_holds_each_series_once_and_compares_only_what_may_repeat") {
    test::DaemonRig rig;
    six_files_of_1000_gauges(rig);
    Sampler sampler(*rig.page, {{"instance", "h:9479"}, {"job", "mmwatch"}}, {});
    Recorder r;
    sampler.add(r, 1000, 0);
    REQUIRE(sampler.run(1000, 5000));
    while (sampler.step()) {}
    REQUIRE(r.got.size() == 1);
    const prom::SampleBatch& b = *r.got[0];
    std::set<std::string_view> seen;
    for (size_t i = 0; i < b.size(); ++i) CHECK(seen.insert(b.labels(i)).second);
    // The same series as one collection in one go, in the same order.
    const prom::SampleBatch whole = sampler.collect(5000);
    REQUIRE(whole.size() == b.size());
    for (size_t i = 0; i < b.size(); ++i) CHECK(whole.labels(i) == b.labels(i));
}

// The sampler's timer may fire while a collection is under way (a consumer
// fell due meanwhile): run() then leaves the collection to its slices, so
// one loop turn never runs more than one of them from there, and who fell
// due gets the next collection, begun after this one ends.
TEST_CASE("run_during_a_collection_runs_no_slice_and_the_consumer_due_meanwhile_gets_the_next_batch") {
    test::DaemonRig rig;
    six_files_of_1000_gauges(rig);
    Sampler sampler(*rig.page, {{"instance", "h:9479"}, {"job", "mmwatch"}}, {});
    Recorder fast, slow;
    sampler.add(fast, 1000, 0);
    sampler.add(slow, 1001, 0);
    REQUIRE(sampler.run(1000, 5000));  // fast's collection, one slice in
    const uint64_t slices = sampler.counters().slices;
    CHECK(sampler.wait_ms(1001) == 0);  // slow is due now
    for (int i = 0; i < 5; ++i) CHECK(sampler.run(1001, 5001));
    CHECK(sampler.counters().slices == slices);
    while (sampler.step()) {}
    REQUIRE(fast.got.size() == 1);
    CHECK(slow.got.empty());
    CHECK(sampler.run(1002, 5002));  // slow's own collection
    while (sampler.step()) {}
    REQUIRE(slow.got.size() == 1);
    CHECK(fast.got.size() == 1);
    CHECK(slow.got[0]->t_ms() == 5002);
}
