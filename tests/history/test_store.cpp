#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>

#include "history/iterator.hpp"
#include "history/store.hpp"
#include "support/history_samples.hpp"

using namespace mmwatch;
using namespace mmwatch::history;

namespace {

std::vector<LabelView> labels_of(const std::string& name, const std::string& value) {
    std::vector<LabelView> l = {{"__name__", name}, {"job", value}};
    REQUIRE(canonicalize(l) == LabelError::none);
    return l;
}

std::vector<Sample> read_all(const Store& store, SeriesId id, int64_t mint = INT64_MIN, int64_t maxt = INT64_MAX) {
    std::vector<Sample> out;
    SampleIterator it = store.samples(id, mint, maxt);
    while (it.next()) out.push_back(it.sample());
    return out;
}

void check_same(const std::vector<Sample>& got, const std::vector<Sample>& want) {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        INFO("sample " << i);
        REQUIRE(got[i].t == want[i].t);
        REQUIRE(got[i].bits == want[i].bits);
    }
}

}  // namespace

TEST_CASE("store_round_trips_random_series_through_head_and_sealed_chunks") {
    std::mt19937_64 rng(3);
    StoreConfig config;
    config.max_bytes = 1ull << 30;
    config.retention_ms[0] = config.retention_ms[1] = config.retention_ms[2] = 0;
    Store store(config);
    std::map<SeriesId, std::vector<Sample>> want;
    std::vector<std::string> names;
    for (int i = 0; i < 60; ++i) names.push_back("series_" + std::to_string(i));
    for (int i = 0; i < 60; ++i) {
        const auto l = labels_of(names[size_t(i)], "a");
        const SeriesId id = store.series(l).id;
        REQUIRE(id != kNoSeries);
        auto samples = test::random_series(rng, 1 + rng() % 3000, int64_t(rng() % 2) ? -int64_t(rng() >> 2) : int64_t(rng() >> 20));
        for (const Sample& x : samples) REQUIRE(store.append(id, x.t, x.bits) == AppendStatus::stored);
        want[id] = samples;
    }
    for (const auto& [id, samples] : want) check_same(read_all(store, id), samples);
    // A window in the middle, by time.
    for (const auto& [id, samples] : want) {
        if (samples.size() < 10) continue;
        const int64_t lo = samples[samples.size() / 3].t, hi = samples[2 * samples.size() / 3].t;
        std::vector<Sample> part;
        for (const Sample& x : samples)
            if (x.t >= lo && x.t <= hi) part.push_back(x);
        check_same(read_all(store, id, lo, hi), part);
    }
    store.seal_all();
    for (const auto& [id, samples] : want) check_same(read_all(store, id), samples);
    CHECK(store.counters().corrupt_chunks == 0);
}

TEST_CASE("store_refuses_out_of_order_and_duplicates_as_prometheus_does") {
    Store store(StoreConfig{});
    const SeriesId id = store.series(labels_of("up", "a")).id;
    CHECK(store.append(id, 1000, value_bits(1)) == AppendStatus::stored);
    CHECK(store.append(id, 1000, value_bits(1)) == AppendStatus::same);
    CHECK(store.append(id, 1000, value_bits(2)) == AppendStatus::refused);
    CHECK(store.append(id, 999, value_bits(1)) == AppendStatus::refused);
    CHECK(store.append(id, 2000, kStaleNaNBits) == AppendStatus::stored);
    CHECK(store.counters().refused[size_t(Refusal::duplicate)] == 1);
    CHECK(store.counters().refused[size_t(Refusal::out_of_order)] == 1);
    CHECK(store.counters().appended == 2);
    check_same(read_all(store, id), {{1000, value_bits(1)}, {2000, kStaleNaNBits}});
}
