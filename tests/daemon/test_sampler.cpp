#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

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
