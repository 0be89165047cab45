#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "support/history_disk.hpp"
#include "support/history_samples.hpp"
#include "support/temp_dir.hpp"

using namespace mmwatch;
using namespace mmwatch::history;

namespace {

StoreConfig unlimited() {
    StoreConfig c;
    c.max_bytes = 1ull << 30;
    for (int64_t& r : c.retention_ms) r = 0;
    return c;
}

std::vector<LabelView> labels_of(std::string_view name) {
    std::vector<LabelView> l = {{"__name__", name}, {"instance", "a:1"}};
    REQUIRE(canonicalize(l) == LabelError::none);
    return l;
}

bool same_row(const TierRow& a, const TierRow& b) {
    return a.t == b.t && std::bit_cast<uint64_t>(a.min) == std::bit_cast<uint64_t>(b.min) &&
           std::bit_cast<uint64_t>(a.max) == std::bit_cast<uint64_t>(b.max) &&
           std::bit_cast<uint64_t>(a.sum) == std::bit_cast<uint64_t>(b.sum) &&
           std::bit_cast<uint64_t>(a.last) == std::bit_cast<uint64_t>(b.last) && a.count == b.count;
}


// A store of `n` random series, appended in rounds with a flush after each
// (so segments hold many flushes), all in `dir`.
struct Written {
    std::vector<std::string> names;
    std::map<std::string, std::vector<Sample>> samples;
};

Written write_random(const std::string& path, size_t n, uint64_t seed, Store& store) {
    std::mt19937_64 rng(seed);
    std::string error;
    auto dir = SegmentDir::open(path, UINT64_MAX, error);
    REQUIRE(dir);
    FlushBuilder builder;
    Written w;
    std::vector<std::vector<Sample>> plan;
    for (size_t i = 0; i < n; ++i) {
        w.names.push_back("metric_" + std::to_string(i));
        plan.push_back(test::random_series(rng, 1 + rng() % 2500, 1'700'000'000'000 + int64_t(rng() % 100'000)));
    }
    std::vector<size_t> at(n, 0);
    for (int round = 0; round < 4; ++round) {
        for (size_t i = 0; i < n; ++i) {
            const SeriesId id = store.series(labels_of(w.names[i])).id;
            REQUIRE(id != kNoSeries);
            const size_t until = round == 3 ? plan[i].size() : plan[i].size() * size_t(round + 1) / 4;
            for (; at[i] < until; ++at[i]) {
                const Sample& x = plan[i][at[i]];
                REQUIRE(store.append(id, x.t, x.bits) == AppendStatus::stored);
                w.samples[w.names[i]].push_back(x);
            }
        }
        test::flush_all(store, builder, *dir);
    }
    CHECK(builder.counters().flushes == 4);
    CHECK(dir->counters().write_errors == 0);
    return w;
}

}  // namespace

TEST_CASE("flush_and_reload_give_back_every_sample_and_row_bit_exact") {
    test::TempDir tmp;
    Store before(unlimited());
    const Written w = write_random(tmp.path(), 40, 17, before);
    Store after(unlimited());
    const LoadCounters c = test::load_all(tmp.path(), after, 0);
    CHECK(c.corrupt == 0);
    CHECK(c.torn == 0);
    CHECK(c.bad_records == 0);
    CHECK(c.unknown_refs == 0);
    for (const std::string& name : w.names) {
        INFO(name);
        const SeriesId a = before.find(labels_of(name)), b = after.find(labels_of(name));
        REQUIRE(b != kNoSeries);
        test::require_same(test::all_samples(after, b), w.samples.at(name));
        for (const Tier tier : {Tier::minute, Tier::hour}) {
            const auto want = test::all_rows(before, a, tier), got = test::all_rows(after, b, tier);
            REQUIRE(got.size() == want.size());
            for (size_t i = 0; i < got.size(); ++i) CHECK(same_row(got[i], want[i]));
        }
    }
    // A second flush of the reloaded store writes nothing new: what came
    // from disk is known to be there.
    std::string error;
    auto dir = SegmentDir::open(tmp.path(), UINT64_MAX, error);
    FlushBuilder again;
    test::flush_all(after, again, *dir);
    CHECK(again.counters().samples == 0);
    CHECK(again.counters().rows == 0);
}

TEST_CASE("reload_of_a_torn_segment_keeps_every_whole_record") {
    test::TempDir tmp;
    Store before(unlimited());
    const Written w = write_random(tmp.path(), 12, 5, before);
    std::string error;
    const auto paths = SegmentDir::open(tmp.path(), UINT64_MAX, error)->paths();
    REQUIRE(paths.size() == 1);
    const auto size = std::filesystem::file_size(paths[0]);
    std::mt19937_64 rng(9);
    for (int cut = 0; cut < 12; ++cut) {
        std::filesystem::resize_file(paths[0], size - 1 - rng() % (size / 3));
        Store after(unlimited());
        const LoadCounters c = test::load_all(tmp.path(), after, 0, 1 + rng() % 5000);
        CHECK(c.torn + c.corrupt >= 1);
        // What was loaded is a prefix of what was written, bit-exact.
        for (const std::string& name : w.names) {
            const SeriesId id = after.find(labels_of(name));
            if (id == kNoSeries) continue;
            const auto got = test::all_samples(after, id);
            const auto& want = w.samples.at(name);
            REQUIRE(got.size() <= want.size());
            test::require_same(got, std::vector<Sample>(want.begin(), want.begin() + ptrdiff_t(got.size())));
        }
    }
}

TEST_CASE("reload_skips_corrupt_records_and_keeps_the_rest") {
    test::TempDir tmp;
    Store before(unlimited());
    const Written w = write_random(tmp.path(), 12, 6, before);
    std::string error;
    const auto paths = SegmentDir::open(tmp.path(), UINT64_MAX, error)->paths();
    std::string bytes;
    {
        std::ifstream in(paths[0], std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::mt19937_64 rng(4);
    for (int round = 0; round < 20; ++round) {
        std::string bad = bytes;
        for (int flips = 0; flips < 1 + int(rng() % 4); ++flips) bad[rng() % bad.size()] ^= char(1 + rng() % 255);
        std::ofstream(paths[0], std::ios::binary | std::ios::trunc).write(bad.data(), std::streamsize(bad.size()));
        Store after(unlimited());
        const LoadCounters c = test::load_all(tmp.path(), after, 0);
        CHECK(c.corrupt + c.bad_records + c.torn >= 1);
        // Every sample loaded is one that was written, at its place.
        for (const std::string& name : w.names) {
            const SeriesId id = after.find(labels_of(name));
            if (id == kNoSeries) continue;
            const auto& want = w.samples.at(name);
            for (const Sample& x : test::all_samples(after, id)) {
                const auto it = std::lower_bound(want.begin(), want.end(), x.t,
                                                 [](const Sample& s, int64_t t) { return s.t < t; });
                REQUIRE(it != want.end());
                CHECK(it->t == x.t);
                CHECK(it->bits == x.bits);
            }
        }
    }
}

TEST_CASE("segments_past_the_disk_budget_go_oldest_first") {
    test::TempDir tmp;
    std::string error;
    auto dir = SegmentDir::open(tmp.path(), 3 * kSegmentBytes, error);
    REQUIRE(dir);
    Store store(unlimited());
    FlushBuilder builder;
    std::mt19937_64 rng(1);
    std::vector<SeriesId> ids;
    for (int i = 0; i < 200; ++i) ids.push_back(store.series(labels_of("m" + std::to_string(i))).id);
    int64_t t = 1'000'000'000'000;
    // Random values compress badly, so each flush writes about 1.6 MB.
    for (int flush = 0; flush < 12; ++flush) {
        for (int k = 0; k < 1000; ++k, t += 1000)
            for (const SeriesId id : ids) store.append(id, t, rng());
        test::flush_all(store, builder, *dir, 50, 1 << 20);
        CHECK(dir->bytes() <= 3 * kSegmentBytes + 2 * kSegmentBytes);
    }
    CHECK(dir->counters().segments_deleted > 0);
    uint64_t on_disk = 0;
    for (const auto& e : std::filesystem::directory_iterator(tmp.path())) on_disk += e.file_size();
    CHECK(on_disk == dir->bytes());
}

TEST_CASE("a_segment_that_cannot_be_created_is_counted_and_the_store_goes_on") {
    test::TempDir tmp;
    std::string error;
    auto dir = SegmentDir::open(tmp.path(), UINT64_MAX, error);
    REQUIRE(dir);
    // The name the next segment would take is already taken by a link to
    // /dev/full, so opening it exclusively fails.
    REQUIRE(::symlink("/dev/full", (tmp.path() + "/segment-000000000000000001.hseg").c_str()) == 0);
    Store store(unlimited());
    const SeriesId id = store.series(labels_of("up")).id;
    store.append(id, 1000, value_bits(1));
    FlushBuilder builder;
    test::flush_all(store, builder, *dir);
    CHECK(dir->counters().write_errors == 1);
    CHECK(test::all_samples(store, id).size() == 1);
    CHECK_FALSE(SegmentDir::open(tmp.file("segment-000000000000000001.hseg") + "/x", 1, error));
}
