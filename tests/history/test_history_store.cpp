#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>

#include "history/iterator.hpp"
#include "history/history_store.hpp"
#include "support/history_disk.hpp"
#include "support/history_samples.hpp"
#include "support/temp_dir.hpp"

using namespace mmwatch;
using namespace mmwatch::history;

namespace {

std::vector<LabelView> labels_of(std::string_view name, std::string_view value) {
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
    for (const auto& [id, samples] : want) test::require_same(read_all(store, id), samples);
    // A window in the middle, by time.
    for (const auto& [id, samples] : want) {
        if (samples.size() < 10) continue;
        const int64_t lo = samples[samples.size() / 3].t, hi = samples[2 * samples.size() / 3].t;
        std::vector<Sample> part;
        for (const Sample& x : samples)
            if (x.t >= lo && x.t <= hi) part.push_back(x);
        test::require_same(read_all(store, id, lo, hi), part);
    }
    store.seal_all();
    for (const auto& [id, samples] : want) test::require_same(read_all(store, id), samples);
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
    test::require_same(read_all(store, id), {{1000, value_bits(1)}, {2000, kStaleNaNBits}});
}

TEST_CASE("property_every_accepted_sample_comes_back_bit_exact_through_head_chunks_and_reload") {
    // Random series appended interleaved, with out-of-order and duplicate
    // samples mixed in; a model keeps what Prometheus' rules accept. Checked
    // while heads are open, after every head is sealed, and after a save and
    // a reload into a new store.
    std::mt19937_64 rng(21);
    StoreConfig config;
    config.max_bytes = 1ull << 30;
    for (int64_t& r : config.retention_ms) r = 0;
    Store store(config);
    constexpr int kSeries = 80;
    std::vector<std::vector<Sample>> plan(kSeries), model(kSeries);
    std::vector<SeriesId> ids;
    std::vector<std::string> names;
    uint64_t refused = 0;
    for (int i = 0; i < kSeries; ++i) {
        names.push_back("p_" + std::to_string(i));
        ids.push_back(store.series(labels_of(names.back(), "p")).id);
        plan[size_t(i)] = test::random_series(rng, rng() % 4000, int64_t(rng() % 4) == 0 ? -int64_t(rng() >> 3)
                                                                                         : int64_t(rng() >> 24));
    }
    std::vector<size_t> at(kSeries, 0);
    for (bool more = true; more;) {
        more = false;
        for (int i = 0; i < kSeries; ++i) {
            auto& p = plan[size_t(i)];
            for (int k = 0; k < 1 + int(rng() % 40) && at[size_t(i)] < p.size(); ++k) {
                Sample x = p[at[size_t(i)]++];
                auto& m = model[size_t(i)];
                if (!m.empty() && rng() % 25 == 0) {
                    // A sample from the past, or at the last time with other bits.
                    Sample bad = rng() % 2 ? Sample{m[rng() % m.size()].t, rng()} : Sample{m.back().t, ~m.back().bits};
                    const bool same = bad.t == m.back().t && bad.bits == m.back().bits;
                    const AppendStatus st = store.append(ids[size_t(i)], bad.t, bad.bits);
                    CHECK(st == (same ? AppendStatus::same : AppendStatus::refused));
                    refused += !same;
                }
                REQUIRE(store.append(ids[size_t(i)], x.t, x.bits) == AppendStatus::stored);
                m.push_back(x);
            }
            more = more || at[size_t(i)] < p.size();
        }
    }
    CHECK(store.counters().refused[size_t(Refusal::out_of_order)] + store.counters().refused[size_t(Refusal::duplicate)] ==
          refused);
    for (int i = 0; i < kSeries; ++i) test::require_same(read_all(store, ids[size_t(i)]), model[size_t(i)]);

    test::TempDir tmp;
    std::string error;
    auto dir = SegmentDir::open(tmp.path(), UINT64_MAX, error);
    FlushBuilder builder;
    test::flush_all(store, builder, *dir);
    store.seal_all();
    for (int i = 0; i < kSeries; ++i) test::require_same(read_all(store, ids[size_t(i)]), model[size_t(i)]);

    Store reloaded(config);
    const LoadCounters c = test::load_all(tmp.path(), reloaded, 0);
    CHECK(c.corrupt + c.torn + c.bad_records + c.unknown_refs == 0);
    for (int i = 0; i < kSeries; ++i) {
        const SeriesId id = reloaded.find(labels_of(names[size_t(i)], "p"));
        if (model[size_t(i)].empty()) {
            CHECK(id == kNoSeries);
            continue;
        }
        REQUIRE(id != kNoSeries);
        test::require_same(read_all(reloaded, id), model[size_t(i)]);
    }
    CHECK(store.counters().corrupt_chunks == 0);
    CHECK(reloaded.counters().corrupt_chunks == 0);
}

TEST_CASE("tiers_hold_min_max_sum_count_last_per_bucket") {
    StoreConfig config;
    for (int64_t& r : config.retention_ms) r = 0;
    Store store(config);
    const SeriesId id = store.series(labels_of("g", "t")).id;
    // Three minutes at 10 s, a NaN and a staleness marker in the second.
    const int64_t t0 = 1'700'000'080'000;  // 40 s into a minute
    std::vector<std::pair<int64_t, double>> in;
    for (int i = 0; i < 18; ++i) in.push_back({t0 + 10'000 * i, double(i % 5) - 1});
    in[8].second = std::nan("");
    for (const auto& [t, v] : in) store.append(id, t, value_bits(v));
    store.append(id, t0 + 180'000, kStaleNaNBits);
    store.append(id, t0 + 3'600'000, value_bits(7));  // the next hour closes everything before
    const auto rows = test::all_rows(store, id, Tier::minute);
    REQUIRE(rows.size() == 4);
    // Recomputed from the raw samples, by minute.
    size_t k = 0;
    for (const TierRow& row : rows) {
        TierRow want{row.t, 0, 0, 0, 0, 0};
        bool first = true;
        for (; k < in.size() && in[k].first < row.t + 60'000; ++k) {
            const double v = in[k].second;
            want.sum += v;
            want.last = v;
            ++want.count;
            if (!std::isnan(v) && (first || v < want.min)) want.min = v;
            if (!std::isnan(v) && (first || v > want.max)) want.max = v;
            first = first && std::isnan(v);
        }
        CHECK(row.t % 60'000 == 0);
        CHECK(row.count == want.count);
        CHECK(row.min == want.min);
        CHECK(row.max == want.max);
        CHECK(value_bits(row.sum) == value_bits(want.sum));
        CHECK(value_bits(row.last) == value_bits(want.last));
    }
    const auto hours = test::all_rows(store, id, Tier::hour);
    REQUIRE(hours.size() == 1);
    CHECK(hours[0].count == 18);
    CHECK(hours[0].t == t0 / 3'600'000 * 3'600'000);
}

TEST_CASE("postings_answer_what_a_query_engine_asks") {
    Store store(StoreConfig{});
    std::vector<SeriesId> ids;
    for (const char* job : {"node", "api"})
        for (const char* name : {"up", "cpu", "mem"}) {
            std::vector<LabelView> l = {{"__name__", name}, {"job", job}};
            REQUIRE(canonicalize(l) == LabelError::none);
            ids.push_back(store.series(l).id);
        }
    const auto node = store.postings("job", "node");
    CHECK(std::vector<SeriesId>(node.begin(), node.end()) == std::vector<SeriesId>{ids[0], ids[1], ids[2]});
    CHECK(store.postings("job", "nope").empty());
    CHECK(store.postings("nope", "node").empty());
    std::vector<std::string_view> values, names;
    store.label_values("__name__", values);
    std::sort(values.begin(), values.end());
    CHECK(values == std::vector<std::string_view>{"cpu", "mem", "up"});
    store.label_names(names);
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string_view>{"__name__", "job"});
    std::vector<LabelView> labels;
    store.labels(ids[4], labels);
    REQUIRE(labels.size() == 2);
    CHECK(labels[0].value == "cpu");
    CHECK(labels[1].value == "api");
}

TEST_CASE("a_series_whose_data_is_all_evicted_is_forgotten_and_its_slot_reused") {
    StoreConfig config;
    config.retention_ms[0] = 3'600'000;
    config.retention_ms[1] = config.retention_ms[2] = 1;
    Store store(config);
    const SeriesId old_id = store.series(labels_of("gone", "x")).id;
    for (int i = 0; i < 100; ++i) store.append(old_id, 1000 * i, value_bits(i));
    SampleIterator kept = store.samples(old_id, 0, INT64_MAX);
    REQUIRE(kept.next());
    const uint32_t generation = store.generation(old_id);
    // A day later nothing is within any retention: sealed, evicted, forgotten.
    for (int round = 0; round < 3; ++round) store.maintain(86'400'000, 1000);
    CHECK_FALSE(store.live(old_id));
    CHECK(store.postings("__name__", "gone").empty());
    CHECK(store.counters().series_removed == 1);
    CHECK(store.counters().evicted[0][size_t(Eviction::retention)] == 100);
    const SeriesId fresh = store.series(labels_of("new", "y")).id;
    CHECK(fresh == old_id);
    CHECK(store.generation(fresh) != generation);
    // The iterator made before sees the slot changed hands and ends.
    store.append(fresh, 5000, value_bits(1));
    size_t n = 0;
    while (kept.next()) ++n;
    CHECK(n < 100);
    CHECK(store.postings("__name__", "new").size() == 1);
}

TEST_CASE("iterator_kept_across_changes_sees_new_samples_and_no_duplicates") {
    Store store(StoreConfig{});
    const SeriesId id = store.series(labels_of("s", "i")).id;
    for (int i = 0; i < 3000; ++i) store.append(id, 1000 * i, value_bits(i));
    SampleIterator it = store.samples(id, 0, INT64_MAX);
    std::vector<int64_t> seen;
    for (int i = 0; i < 1500 && it.next(); ++i) seen.push_back(it.t());
    // Between two loop turns: more samples, every head sealed.
    for (int i = 3000; i < 6000; ++i) store.append(id, 1000 * i, value_bits(i));
    store.seal_all();
    while (it.next()) seen.push_back(it.t());
    REQUIRE(seen.size() == 6000);
    for (size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == int64_t(1000 * i));
}

TEST_CASE("budget_holds_under_100000_series_and_the_oldest_data_goes_first") {
    // 100,000 series at 15 s, random values (they compress worst), into a
    // 48 MiB budget: the index takes at most half, so later series are
    // refused (counted); the samples of the ones held outgrow the rest, so
    // the oldest pages go (counted). Checked after every round: never over
    // the budget, and every series reads back a suffix of what it was given.
    StoreConfig config;
    config.max_bytes = 48ull << 20;
    for (int64_t& r : config.retention_ms) r = 0;
    Store store(config);
    constexpr int kSeries = 100'000;
    std::vector<SeriesId> ids(kSeries, kNoSeries);
    std::vector<std::string> names(kSeries);
    std::mt19937_64 rng(13);
    uint64_t refused_series = 0;
    for (int i = 0; i < kSeries; ++i) {
        names[size_t(i)] = "load_" + std::to_string(i);
        const Store::Lookup l = store.series(labels_of(names[size_t(i)], "budget"));
        ids[size_t(i)] = l.id;
        if (l.id == kNoSeries) {
            CHECK(l.refusal == Refusal::memory_budget);
            ++refused_series;
        }
        REQUIRE(store.bytes() <= config.max_bytes);
    }
    CHECK(refused_series > 0);
    // Half, by the estimate made before each new series; a container that
    // grew when the last one was added may pass it by a little (5 KiB on
    // armhf), never by more than 1/256 of the budget.
    CHECK(store.stats().index_bytes <= config.max_bytes / 2 + config.max_bytes / 256);
    const int64_t t0 = 1'700'000'000'000;
    constexpr int kRounds = 80;
    for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < kSeries; ++i) {
            if (ids[size_t(i)] == kNoSeries) continue;
            store.append(ids[size_t(i)], t0 + 15'000 * round, uint64_t(i) << 32 | uint64_t(round) | (rng() & 0xffff0000u));
        }
        REQUIRE(store.bytes() <= config.max_bytes);
    }
    const StoreCounters& c = store.counters();
    CHECK(c.evicted[0][size_t(Eviction::budget)] > 0);
    // What is left of each series is its latest samples, in order.
    size_t checked = 0;
    for (int i = 0; i < kSeries; i += 97) {
        if (ids[size_t(i)] == kNoSeries || !store.live(ids[size_t(i)])) continue;
        const auto got = read_all(store, ids[size_t(i)]);
        REQUIRE(!got.empty());
        const int first = int((got.front().t - t0) / 15'000);
        REQUIRE(size_t(kRounds - first) == got.size());
        for (size_t k = 0; k < got.size(); ++k) {
            CHECK(got[k].t == t0 + 15'000 * (first + int(k)));
            CHECK((got[k].bits & 0xffff) == uint64_t(first + int(k)));
            CHECK((got[k].bits >> 32) == uint64_t(i));
        }
        ++checked;
    }
    CHECK(checked > 100);
    CHECK(c.corrupt_chunks == 0);
    MESSAGE("series held " << store.stats().series << " of " << kSeries << ", raw samples held "
                           << store.stats().samples[0] << ", evicted " << c.evicted[0][0] << ", bytes "
                           << store.bytes());
}

TEST_CASE("buckets_at_the_ends_of_time") {
    CHECK(bucket_of(0, 60'000) == 0);
    CHECK(bucket_of(-1, 60'000) == -60'000);
    CHECK(bucket_of(59'999, 60'000) == 0);
    CHECK(bucket_of(INT64_MIN, 60'000) == INT64_MIN);
    CHECK(bucket_of(INT64_MIN + 5, 3'600'000) == INT64_MIN);
    CHECK(bucket_of(INT64_MAX, 60'000) == INT64_MAX - INT64_MAX % 60'000);
    // Samples there go into the tiers like any other.
    Store store(StoreConfig{});
    const SeriesId id = store.series(labels_of("edge", "t")).id;
    store.append(id, INT64_MIN, value_bits(1));
    store.append(id, INT64_MIN + 1, value_bits(2));
    store.append(id, INT64_MAX, value_bits(3));
    const auto rows = test::all_rows(store, id, Tier::minute);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].t == INT64_MIN);
    CHECK(rows[0].count == 2);
}
