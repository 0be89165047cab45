// Standard vs seqlock histograms: snapshot reads (stats_into) with no
// writer and under a busy writer, and the latency distribution of
// observe(). Prints a table; see docs/benchmarks.md for the method.
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>

#include "bench_util.hpp"
#include "mmwatch/metrics.hpp"

using namespace mmwatch::inproc;
namespace bench = mmwatch::bench;

namespace {

constexpr int kRepeats = 7;
constexpr uint64_t kReads = 300'000;
constexpr uint64_t kContendedReads = 300'000;
constexpr uint64_t kWriteSamples = 200'000;
constexpr int kMaxAttempts = 4 * kRepeats;
constexpr double kMinOverlapWritesPerS = 1e6;

struct Row {
    const char* kind;
    size_t buckets;
    bench::Repeated read_ns, read_busy_ns, write_ns, writes_per_s;
    double write_p50, write_p99, write_p999;
    double write_busy_p50, write_busy_p99;
    double reads_per_s;  // the reader's rate while write latency was sampled
    int overlapped_runs = 0;
};

std::vector<double> make_bounds(size_t n) {
    // The seed's response-time buckets, or n log-spaced ones.
    if (n == 11) return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    std::vector<double> b;
    for (size_t i = 0; i < n; ++i) b.push_back(1e-6 * std::pow(1.25, double(i)));
    return b;
}

// Runs `busy` in a loop on another thread, waits until it is running, then
// runs `measure` here; returns how many times busy ran per second during
// the measurement (0 would mean the threads never overlapped).
template <typename Busy, typename Measure>
double with_busy_thread(Busy busy, Measure measure) {
    constexpr uint64_t kWarmupIterations = 1000;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> progress{0};
    std::thread t([&] {
        for (uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
            busy(n);
            progress.store(n + 1, std::memory_order_relaxed);
        }
    });
    while (progress.load(std::memory_order_relaxed) < kWarmupIterations) std::this_thread::yield();
    const uint64_t p0 = progress.load(std::memory_order_relaxed);
    const auto t0 = bench::Clock::now();
    measure();
    const uint64_t p1 = progress.load(std::memory_order_relaxed);
    const double s = std::chrono::duration<double>(bench::Clock::now() - t0).count();
    stop = true;
    t.join();
    return double(p1 - p0) / s;
}

Row run(ProviderKind kind, const char* name, size_t bounds) {
    auto m = make_provider(Config{.kind = kind});
    auto h = m->histogram("h", "", make_bounds(bounds));
    for (int i = 0; i < 1000; ++i) h->observe(0.001 * i);
    Row r{name, h->bounds().size() + 1};
    HistogramStats s;
    auto read = [&](uint64_t) {
        h->stats_into(s);
        bench::keep(s.count);
    };
    auto write = [&](uint64_t i) { h->observe(0.0001 * double(i % 1000)); };
    r.read_ns = bench::repeat(kRepeats, [&] { return bench::ns_per_op(kReads, read); });
    // On a shared 2-core machine the writer is sometimes not scheduled during
    // a run; only runs where it wrote at kMinOverlapWritesPerS count.
    std::vector<double> ns_ok, rates;
    for (int attempt = 0; attempt < kMaxAttempts && int(ns_ok.size()) < kRepeats; ++attempt) {
        double ns = 0;
        const double rate = with_busy_thread(write, [&] { ns = bench::ns_per_op(kContendedReads, read); });
        if (rate < kMinOverlapWritesPerS) continue;
        ns_ok.push_back(ns);
        rates.push_back(rate);
    }
    r.overlapped_runs = int(ns_ok.size());
    std::sort(ns_ok.begin(), ns_ok.end());
    if (!ns_ok.empty()) r.read_busy_ns = {ns_ok.front(), ns_ok[ns_ok.size() / 2]};
    r.writes_per_s = {0, bench::percentile(rates, 0.5)};
    r.write_ns = bench::repeat(kRepeats, [&] { return bench::ns_per_op(kReads, write); });
    auto lat = bench::latency_samples(kWriteSamples, write);
    r.write_p50 = bench::percentile(lat, 0.5);
    r.write_p99 = bench::percentile(lat, 0.99);
    r.write_p999 = bench::percentile(lat, 0.999);
    r.reads_per_s = with_busy_thread(read, [&] { lat = bench::latency_samples(kWriteSamples, write); });
    r.write_busy_p50 = bench::percentile(lat, 0.5);
    r.write_busy_p99 = bench::percentile(lat, 0.99);
    return r;
}

}  // namespace

int main() {
    const double clock_ns = bench::clock_overhead_ns();
    std::printf("ns per call; min/median of %d runs. Latency percentiles are per call, each bracketed by\n"
                "two steady_clock reads, whose own cost (median %.1f ns) is included.\n\n", kRepeats, clock_ns);
    std::printf("%-9s %7s | %13s %15s %4s %9s | %13s %6s %6s %7s | %10s %10s %9s\n", "provider", "buckets", "read",
                "read, busy wr", "runs", "writes/s", "write", "w p50", "w p99", "w p99.9", "w p50 rd", "w p99 rd", "reads/s");
    for (size_t bounds : {size_t(11), size_t(64)}) {
        for (auto [kind, name] : {std::pair{ProviderKind::standard, "standard"}, std::pair{ProviderKind::seqlock, "seqlock"}}) {
            const Row r = run(kind, name, bounds);
            std::printf("%-9s %7zu | %6.1f/%6.1f %7.1f/%7.1f %4d %9.3g | %6.1f/%6.1f %6.0f %6.0f %7.0f | %10.0f %10.0f %9.3g\n",
                        r.kind, r.buckets, r.read_ns.min, r.read_ns.median, r.read_busy_ns.min, r.read_busy_ns.median,
                        r.overlapped_runs, r.writes_per_s.median, r.write_ns.min, r.write_ns.median, r.write_p50, r.write_p99,
                        r.write_p999, r.write_busy_p50, r.write_busy_p99, r.reads_per_s);
        }
    }
    std::printf("\nread, busy wr: reads while another thread observe()s in a loop, over the runs (of up to %d)\n"
                "in which that writer ran at least %.0g times/s (writes/s: its median rate).\n"
                "w p50 rd / w p99 rd: write latency while another thread reads in a loop (reads/s: its rate).\n",
                kMaxAttempts, kMinOverlapWritesPerS);
    return 0;
}
