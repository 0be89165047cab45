// Concurrency: many writers lose no update, and seqlock readers always see
// a consistent snapshot. A separate executable (suite "threads") so CI can
// run it under ThreadSanitizer:
//   meson setup build-tsan -Db_sanitize=thread && meson test -C build-tsan --suite threads
// Failures inside threads are counted in atomics and checked after join.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "mmwatch/h2.hpp"
#include "mmwatch/metrics.hpp"
#include "mmwatch/producer.hpp"
#include "support/producer_testing.hpp"
#include "support/torn_check.hpp"

using namespace mmwatch;
using namespace mmwatch::inproc;

namespace {

constexpr int kWriterThreads = 8;
// Enough iterations to interleave on 2 cores, few enough to stay quick
// under ThreadSanitizer's ~10x slowdown.
constexpr uint64_t kUpdatesPerThread = 20'000;
constexpr int kReaderThreads = 64;
constexpr uint64_t kSeqlockWrites = 20'000;
constexpr uint64_t kReadsPerReader = 1'000;
constexpr uint64_t kChangesPerReader = 20;
// Value changes a reader must see in the torn-value tests (support/torn_check.hpp).
constexpr uint64_t kTornChangesSeen = 1'000;

template <typename Fn>
void run_threads(int n, Fn fn) {
    std::vector<std::thread> ts;
    for (int t = 0; t < n; ++t) ts.emplace_back(fn, t);
    for (auto& t : ts) t.join();
}

}  // namespace

TEST_CASE("producer_counter_and_histogram_lose_no_increment_under_8_threads") {
    test::ScratchDir dir;
    Producer p(dir.path(), "hammer");
    auto c = p.counter("hits_total");
    auto g = p.gauge("level");
    auto h = p.histogram("values", 2, 8);
    REQUIRE(p.publish().ok());
    run_threads(kWriterThreads, [&](int t) {
        for (uint64_t i = 0; i < kUpdatesPerThread; ++i) {
            c.add();
            g.add(t % 2 ? 1 : -1);
            h.record(i % 300);  // values above 255 land in the last bucket
        }
    });
    const auto r = test::read_back(std::string(p.path()));
    REQUIRE(r.layout.ok());
    const uint64_t total = kWriterThreads * kUpdatesPerThread;
    CHECK(r.value(0) == total);
    CHECK(int64_t(r.value(1)) == 0);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < h2::bucket_count(2, 8); ++i) sum += r.value(2, i);
    CHECK(sum == total);
    CHECK(r.value(2, 0) == kWriterThreads * ((kUpdatesPerThread + 299) / 300));
}

TEST_CASE("providers_lose_no_increment_under_8_threads") {
    test::ScratchDir dir;
    for (auto kind : {ProviderKind::standard, ProviderKind::seqlock, ProviderKind::mapped}) {
        CAPTURE(int(kind));
        auto m = make_provider(Config{.kind = kind, .mapped = {.dir = dir.path()}});
        auto c = m->counter("hits_total", "");
        auto h = m->histogram("lat_seconds", "", {0.5, 1.5});
        REQUIRE(m->publish().ok());
        run_threads(kWriterThreads, [&](int) {
            for (uint64_t i = 0; i < kUpdatesPerThread; ++i) {
                c->inc();
                h->observe(double(i % 3));  // 0, 1, 2: one per bucket
            }
        });
        const uint64_t total = kWriterThreads * kUpdatesPerThread;
        CHECK(c->value() == total);
        const HistogramStats s = h->stats();
        CHECK(s.count == total);
        CHECK(s.bucket_counts[0] + s.bucket_counts[1] + s.bucket_counts[2] == total);
        CHECK(s.sum == doctest::Approx(double(kWriterThreads) * double(kUpdatesPerThread - 1)).epsilon(0.01));
    }
}

// The writer observes 1.0 each time, so a consistent snapshot has
// sum == count == the bucket holding 1.0, and count never goes back. The
// writer keeps writing until every reader has seen the count move
// kChangesPerReader times, so reads and writes overlap by construction.
TEST_CASE("seqlock_snapshot_is_consistent_under_64_readers_and_a_writer") {
    auto m = make_provider(Config{.kind = ProviderKind::seqlock});
    auto h = m->histogram("h", "", {0.5, 1.0, 2.0});
    std::atomic<int> active{kReaderThreads};
    std::atomic<uint64_t> torn{0}, backwards{0}, writes{0};
    std::thread writer([&] {
        uint64_t n = 0;
        while (active.load() > 0) {
            h->observe(1.0);
            ++n;
        }
        writes = n;
    });
    run_threads(kReaderThreads, [&](int) {
        HistogramStats s;
        uint64_t last = 0, reads = 0, changes = 0;
        while (reads < kReadsPerReader || changes < kChangesPerReader) {
            h->stats_into(s);
            uint64_t buckets = 0;
            for (uint64_t b : s.bucket_counts) buckets += b;
            if (buckets != s.count || s.sum != double(s.count) || s.bucket_counts[1] != s.count) ++torn;
            if (s.count < last) ++backwards;
            if (s.count != last) ++changes;
            last = s.count;
            ++reads;
        }
        active.fetch_sub(1);
    });
    writer.join();
    CHECK(torn.load() == 0);
    CHECK(backwards.load() == 0);
    CHECK(h->stats().count == writes.load());
}

TEST_CASE("seqlock_writers_are_serialized_and_readers_stay_consistent") {
    auto m = make_provider(Config{.kind = ProviderKind::seqlock});
    auto h = m->histogram("h", "", {1.0});
    std::atomic<int> writers_left{4};
    std::atomic<int> readers_ready{0};
    std::atomic<uint64_t> torn{0}, reads{0};
    run_threads(4 + 8, [&](int t) {
        if (t < 4) {
            while (readers_ready.load() < 8) std::this_thread::yield();  // overlap with readers
            for (uint64_t i = 0; i < kSeqlockWrites / 4; ++i) h->observe(t % 2 ? 0.5 : 3.0);
            writers_left.fetch_sub(1);
            return;
        }
        HistogramStats s;
        readers_ready.fetch_add(1);
        while (writers_left.load() > 0) {
            ++reads;
            h->stats_into(s);
            if (s.bucket_counts[0] + s.bucket_counts[1] != s.count) ++torn;
            // Each observation adds 0.5 or 3.0: the sum is exact in binary.
            if (s.sum != 0.5 * double(s.bucket_counts[0]) + 3.0 * double(s.bucket_counts[1])) ++torn;
        }
    });
    CHECK(torn.load() == 0);
    CHECK(reads.load() > 0);
    const HistogramStats s = h->stats();
    CHECK(s.count == kSeqlockWrites);
    CHECK(s.bucket_counts[0] == kSeqlockWrites / 2);
}

// On 32-bit ARM a 64-bit value read or written as two words can be seen
// half old, half new; the producer's reads and every provider's values use
// the platform's 64-bit atomics instead (docs/format.md, "32-bit ARM").
TEST_CASE("producer_reads_back_no_torn_counter_or_gauge_while_another_thread_writes") {
    test::ScratchDir dir;
    Producer p(dir.path(), "torn");
    auto c = p.counter("c_total");
    auto g = p.gauge("g");
    REQUIRE(p.publish().ok());
    auto r = test::hammer(
        kTornChangesSeen, [&](uint32_t) { c.add(test::kBothHalvesOne); }, [&] { return c.value(); },
        test::halves_equal);
    CHECK(r.torn == 0);
    CHECK(r.backwards == 0);
    r = test::hammer(
        kTornChangesSeen, [&](uint32_t k) { g.set(int64_t(test::tied(k))); }, [&] { return uint64_t(g.value()); },
        [](uint64_t v) { return v == 0 || test::is_tied(v); });
    CHECK(r.torn == 0);
    CHECK(r.backwards == 0);
}

TEST_CASE("provider_counters_and_gauges_are_never_read_torn") {
    test::ScratchDir dir;
    for (auto kind : {ProviderKind::standard, ProviderKind::seqlock, ProviderKind::mapped}) {
        CAPTURE(int(kind));
        auto m = make_provider(Config{.kind = kind, .mapped = {.dir = dir.path()}});
        auto c = m->counter("c_total", "");
        auto g = m->gauge("g", "");
        REQUIRE(m->publish().ok());
        auto r = test::hammer(
            kTornChangesSeen, [&](uint32_t) { c->inc_by(test::kBothHalvesOne); }, [&] { return c->value(); },
            test::halves_equal);
        CHECK(r.torn == 0);
        CHECK(r.backwards == 0);
        r = test::hammer(
            kTornChangesSeen, [&](uint32_t k) { g->set(int64_t(test::tied(k))); },
            [&] { return uint64_t(g->value()); }, [](uint64_t v) { return v == 0 || test::is_tied(v); });
        CHECK(r.torn == 0);
        CHECK(r.backwards == 0);
    }
}
