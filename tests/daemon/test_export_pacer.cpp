#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/limits.hpp"
#include "daemon/export_pacer.hpp"
#include "history/labels.hpp"
#include "history/sample.hpp"

using namespace mmwatch;
using namespace mmwatch::daemon;

namespace {

history::StoreConfig store_config() {
    history::StoreConfig c;
    c.max_bytes = 64 << 20;
    for (int64_t& r : c.retention_ms) r = 0;
    return c;
}

// `series` series of `samples` samples each, values that do not compress.
std::vector<history::SeriesId> fill(history::Store& store, int series, int samples) {
    std::vector<history::SeriesId> ids;
    for (int s = 0; s < series; ++s) {
        const std::string name = "s" + std::to_string(s);
        std::vector<history::LabelView> l = {{"__name__", name}, {"job", "j"}};
        REQUIRE(history::canonicalize(l) == history::LabelError::none);
        const history::SeriesId id = store.series(l).id;
        for (int i = 0; i < samples; ++i)
            REQUIRE(store.append(id, 1000 * i, history::value_bits(i * 1.000001 + s / 3.0)) ==
                    history::AppendStatus::stored);
        ids.push_back(id);
    }
    return ids;
}

struct Catch final : http::Deferred::Waiter {
    std::optional<http::Response> got;
    void resolved(http::Response r) override { got = std::move(r); }
};

}  // namespace

TEST_CASE("an_export_is_built_a_bounded_slice_a_turn_and_comes_out_exactly_as_built_whole") {
    history::Store store(store_config());
    const auto ids = fill(store, 40, 2000);
    std::string whole;
    history::ExportCursor all(store, ids, INT64_MIN, INT64_MAX);
    REQUIRE(all.write_some(store, whole, SIZE_MAX));
    REQUIRE(whole.size() > 4 * base::kHistoryExportStepBytes);

    ExportPacer pacer(store, 64 << 20);
    http::Response later = pacer.begin(ids, INT64_MIN, INT64_MAX);
    REQUIRE(later.deferred);
    Catch waiter;
    later.deferred->wait(&waiter);
    size_t turns = 0;
    while (pacer.step()) ++turns;
    REQUIRE(waiter.got);
    CHECK(waiter.got->status == 200);
    CHECK(waiter.got->content_type == "application/stream+json");
    CHECK(*waiter.got->body == whole);
    // Each turn built at most one budget (and one line past it).
    CHECK(turns + 1 >= whole.size() / (base::kHistoryExportStepBytes + 64 * 1024));
    CHECK(pacer.count(ExportResult::ok) == 1);
    CHECK(pacer.running() == 0);
}

TEST_CASE("exports_share_the_turns_and_past_the_cap_are_refused_busy_too_large_and_abandoned_counted") {
    history::Store store(store_config());
    const auto ids = fill(store, 10, 2000);
    ExportPacer pacer(store, 300 * 1024);  // under one series set's body
    std::vector<std::shared_ptr<http::Deferred>> answers;
    for (size_t i = 0; i < base::kHistoryMaxConcurrentExports; ++i) {
        http::Response r = pacer.begin(i == 0 ? ids : std::vector<history::SeriesId>{ids[i]}, INT64_MIN, INT64_MAX);
        REQUIRE(r.deferred);
        answers.push_back(r.deferred);
    }
    const http::Response busy = pacer.begin(ids, INT64_MIN, INT64_MAX);
    CHECK(busy.status == 503);
    CHECK(pacer.count(ExportResult::busy) == 1);
    answers[1]->abandon();
    std::vector<Catch> waiters(answers.size());
    for (size_t i = 0; i < answers.size(); ++i)
        if (i != 1) answers[i]->wait(&waiters[i]);
    while (pacer.step()) {
    }
    REQUIRE(waiters[0].got);
    CHECK(waiters[0].got->status == 422);
    for (size_t i = 2; i < answers.size(); ++i) {
        REQUIRE(waiters[i].got);
        CHECK(waiters[i].got->status == 200);
    }
    CHECK(pacer.count(ExportResult::too_large) == 1);
    CHECK(pacer.count(ExportResult::abandoned) == 1);
    CHECK(pacer.count(ExportResult::ok) == base::kHistoryMaxConcurrentExports - 2);
}
