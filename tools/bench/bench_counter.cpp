// Counter increment cost: a counter in a mapped producer file (through the
// C API, and through a cached pointer) vs an in-process std::atomic vs a
// mutex-guarded integer, on one thread and on two threads sharing it.
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
template <typename Fn>
double run(int threads, Fn fn) {
    const uint64_t per = kIncrements / uint64_t(threads);
    std::atomic<int> ready{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&] {
            ready.fetch_add(1);
            while (ready.load() < threads) {}  // start together, so the threads overlap
            for (uint64_t i = 0; i < per; ++i) fn();
        });
    }
    while (ready.load() < threads) std::this_thread::yield();
    const auto t0 = bench::Clock::now();
    for (auto& t : ts) t.join();
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
    };
    auto both = [](auto fn) { return std::pair{bench::repeat(kRepeats, [&] { return run(1, fn); }),
                                               bench::repeat(kRepeats, [&] { return run(2, fn); })}; };
    const auto mapped_call = both([&] { (void)mmw_counter_add(p, id, 1); });
    const auto mapped_word = both([&] { std::atomic_ref<uint64_t>(*word).fetch_add(1, std::memory_order_relaxed); });
    const auto in_process = both([&] { atomic_counter.fetch_add(1, std::memory_order_relaxed); });
    const auto with_mutex = both([&] {
        std::lock_guard l(mu);
        ++guarded;
    });
    const Case cases[] = {
        {"mapped file, mmw_counter_add()", mapped_call.first, mapped_call.second},
        {"mapped file, atomic_ref on cached word", mapped_word.first, mapped_word.second},
        {"in-process std::atomic fetch_add", in_process.first, in_process.second},
        {"std::mutex + uint64_t", with_mutex.first, with_mutex.second},
    };
    std::printf("wall-clock ns per increment, min/median of %d runs of %llu increments\n", kRepeats,
                (unsigned long long)kIncrements);
    std::printf("%-40s %16s %16s\n", "counter increment", "1 thread", "2 threads");
    for (const auto& c : cases) {
        std::printf("%-40s %7.2f/%7.2f %7.2f/%7.2f\n", c.name, c.one.min, c.one.median, c.two.min, c.two.median);
    }
    std::printf("(final values: file %llu, atomic %llu, mutex %llu)\n", (unsigned long long)mmw_counter_value(p, id),
                (unsigned long long)atomic_counter.load(), (unsigned long long)guarded);
    mmw_producer_destroy(p);
    rmdir(dir);
    return 0;
}
