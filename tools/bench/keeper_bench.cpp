// The history keeper's sample pipeline at scale (docs/benchmarks.md,
// "History keeper"): a batch of N series (default 100,000) appended every
// interval, the same series every batch, then with a tenth of them
// replaced every batch (so staleness markers are written), and what the
// keeper holds per series for the store (mmwatch_history_feeder_bytes).
// The keeper runs on a libuv loop as in the daemon, so a batch is taken
// in across loop turns (kHistoryIntakeStepSeries a turn). Prints the best
// batch time of 19 (all its turns), the longest single turn of the 19 and
// the bytes a series; numbers, never pass/fail.
//   keeper_bench [N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <uv.h>

#include "base/duration_histogram.hpp"
#include "daemon/history_keeper.hpp"

using namespace mmwatch;

namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

// N gauges named by number; with `churn`, batch b replaces series
// [0, N/10) by new ones.
std::shared_ptr<const prom::SampleBatch> batch(size_t n, bool churn, int b, int64_t t_ms) {
    prom::SampleCollector c({{"instance", "host:9479"}, {"job", "mmwatch"}}, {});
    c.family("bench_gauge", prom::Kind::gauge, "bench", {});
    std::string labels;
    for (size_t i = 0; i < n; ++i) {
        labels.clear();
        const size_t generation = churn && i < n / 10 ? size_t(b) : 0;
        c.label(labels, "series", std::to_string(i) + "_" + std::to_string(generation));
        c.metric(labels);
        c.value(double(i));
    }
    return std::make_shared<const prom::SampleBatch>(std::move(c), t_ms);
}

void run(size_t n, bool churn) {
    daemon::HistoryConfig config;
    config.store.max_bytes = uint64_t(4) << 30;
    config.store.max_series = 10 * n;
    config.interval_ms = 15'000;
    uv_loop_t loop;
    uv_loop_init(&loop);
    auto keeper = std::make_unique<daemon::HistoryKeeper>(config);
    std::string warning;
    keeper->start(&loop, warning);
    double best_ms = 1e18, longest_turn_ms = 0, longest_cpu_ms = 0;
    size_t turns = 0;
    for (int b = 0; b < 20; ++b) {
        auto next = batch(n, churn, b, kT0 + b * 15'000);
        using Clock = std::chrono::steady_clock;
        const auto t0 = Clock::now();
        keeper->consume(std::move(next));
        auto last = Clock::now();
        double longest = std::chrono::duration<double, std::milli>(last - t0).count(), longest_cpu = 0;
        turns = 0;
        while (keeper->taking_in()) {
            const uint64_t cpu0 = base::thread_cpu_ns();
            uv_run(&loop, UV_RUN_NOWAIT);
            longest_cpu = std::max(longest_cpu, double(base::thread_cpu_ns() - cpu0) / 1e6);
            const auto t = Clock::now();
            longest = std::max(longest, std::chrono::duration<double, std::milli>(t - last).count());
            last = t;
            ++turns;
        }
        if (b == 0) continue;
        best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(last - t0).count());
        longest_turn_ms = std::max(longest_turn_ms, longest);
        longest_cpu_ms = std::max(longest_cpu_ms, longest_cpu);
    }
    const history::StoreStats st = keeper->store().stats();
    std::printf("%zu series a batch, %s: %zu in the store\n", n,
                churn ? "a tenth new each batch" : "the same each batch", st.series);
    std::printf("  a batch appended (best of 19):   %8.2f ms  (%.0f ns a series), in %zu loop turns\n", best_ms,
                best_ms * 1e6 / double(n), turns);
    std::printf("  longest loop turn (worst of 19): %8.2f ms wall, %.2f ms CPU\n", longest_turn_ms, longest_cpu_ms);
    std::printf("  keeper's bytes for the store:    %8llu bytes (%.2f a batch series)\n",
                static_cast<unsigned long long>(st.feeder_bytes), double(st.feeder_bytes) / double(n));
    std::printf("  store index bytes a series:      %8.1f\n", double(st.index_bytes) / double(st.series));
    keeper->close();
    keeper.reset();
    uv_run(&loop, UV_RUN_NOWAIT);
    (void)uv_loop_close(&loop);
}

}  // namespace

int main(int argc, char** argv) {
    const size_t n = argc > 1 ? size_t(std::strtoull(argv[1], nullptr, 10)) : 100'000;
    run(n, false);
    run(n, true);
    return 0;
}
