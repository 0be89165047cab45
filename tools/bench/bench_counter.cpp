// Counter increment cost: a counter in a mapped producer file (through the
// C API, and through a cached pointer) vs an in-process std::atomic vs a
// mutex-guarded integer, on one thread and on two threads sharing it.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <mutex>
#include <string>
#include <thread>

#include "bench_util.hpp"
#include "mmwatch/producer.h"

namespace bench = mmwatch::bench;

namespace {

constexpr uint64_t kIncrements = 5'000'000;
constexpr int kRepeats = 5;

// Wall-clock ns per increment (total time / total increments) with
// `threads` threads each doing kIncrements / threads on one shared counter.
// `overlap` gets the share of the run during which all threads were
// incrementing at once: on a shared machine they may take turns instead,
// and then the run shows no contention.
template <typename Fn>
double run(int threads, Fn fn, double& overlap) {
    const auto n = size_t(threads);
    std::vector<bench::Clock::time_point> starts(n), ends(n);
    const uint64_t per = kIncrements / uint64_t(threads);
    std::atomic<int> ready{0};
    std::vector<std::thread> ts;
    // The clock starts before the threads: started after, it would miss
    // whatever they did before this thread was scheduled again.
    const auto t0 = bench::Clock::now();
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&, t] {
            ready.fetch_add(1);
            while (ready.load() < threads) {}  // start together, so the threads overlap
            starts[size_t(t)] = bench::Clock::now();
            for (uint64_t i = 0; i < per; ++i) fn();
            ends[size_t(t)] = bench::Clock::now();
        });
    }
    for (auto& t : ts) t.join();
    const auto all = *std::max_element(ends.begin(), ends.end()) - *std::min_element(starts.begin(), starts.end());
    const auto common = *std::min_element(ends.begin(), ends.end()) - *std::max_element(starts.begin(), starts.end());
    overlap = std::max(0.0, std::chrono::duration<double>(common) / std::chrono::duration<double>(all));
    return std::chrono::duration<double, std::nano>(bench::Clock::now() - t0).count() / double(per * uint64_t(threads));
}

}  // namespace

int main() {
    char dir[] = "/tmp/mmwatch-bench-XXXXXX";
    if (mkdtemp(dir) == nullptr) return 1;
    mmw_producer* p = nullptr;
    mmw_metric id = 0;
    if (mmw_producer_create(dir, "bench", 0, &p) != MMW_OK || mmw_declare_counter(p, "c_total", &id) != MMW_OK ||
        mmw_publish(p) != MMW_OK) {
        std::fprintf(stderr, "bench_counter: %s\n", mmw_producer_error(p));
        return 1;
    }
    uint64_t* word = mmw_metric_data(p, id);
    std::atomic<uint64_t> atomic_counter{0};
    std::mutex mu;
    uint64_t guarded = 0;

    struct Case {
        const char* name;
        bench::Repeated one, two;
        double overlap;  // median over the 2-thread runs
    };
    auto both = [](const char* name, auto fn) {
        double ignored = 0;
        std::vector<double> overlaps;
        Case c{name, bench::repeat(kRepeats, [&] { return run(1, fn, ignored); }), {}, 0};
        c.two = bench::repeat(kRepeats, [&] {
            double o = 0;
            const double ns = run(2, fn, o);
            overlaps.push_back(o);
            return ns;
        });
        c.overlap = bench::percentile(overlaps, 0.5);
        return c;
    };
    const Case cases[] = {
        both("mapped file, mmw_counter_add()", [&] { (void)mmw_counter_add(p, id, 1); }),
        both("mapped file, atomic_ref on cached word",
             [&] { std::atomic_ref<uint64_t>(*word).fetch_add(1, std::memory_order_relaxed); }),
        both("in-process std::atomic fetch_add", [&] { atomic_counter.fetch_add(1, std::memory_order_relaxed); }),
        both("std::mutex + uint64_t",
             [&] {
                 std::lock_guard l(mu);
                 ++guarded;
             }),
    };
    std::printf("wall-clock ns per increment, min/median of %d runs of %llu increments\n", kRepeats,
                (unsigned long long)kIncrements);
    std::printf("%-40s %16s %16s %9s\n", "counter increment", "1 thread", "2 threads", "overlap");
    for (const auto& c : cases) {
        std::printf("%-40s %7.2f/%7.2f %7.2f/%7.2f %8.0f%%\n", c.name, c.one.min, c.one.median, c.two.min,
                    c.two.median, 100 * c.overlap);
    }
    std::printf("(final values: file %llu, atomic %llu, mutex %llu)\n", (unsigned long long)mmw_counter_value(p, id),
                (unsigned long long)atomic_counter.load(), (unsigned long long)guarded);
    mmw_producer_destroy(p);
    rmdir(dir);
    return 0;
}
