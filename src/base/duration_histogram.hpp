// How long something held the loop, in buckets fine enough to tell a
// millisecond from five (the self-metrics mmwatch_loop_turn_seconds,
// mmwatch_loop_turn_cpu_seconds and mmwatch_api_work_cpu_seconds): counts
// per bucket, the sum and the longest seen since start. Wall time says how
// long others waited; the thread's CPU time says how much of that was the
// loop's own work rather than the machine running something else.
#pragma once

#include <time.h>

#include <cstddef>
#include <cstdint>
#include <iterator>

namespace mmwatch::base {

struct DurationHistogram {
    static constexpr double kBoundsSeconds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5};
    static constexpr size_t kBuckets = std::size(kBoundsSeconds);
    uint64_t buckets[kBuckets + 1] = {};  // per bucket, the last one +Inf (not cumulative)
    uint64_t count = 0;
    uint64_t sum_ns = 0;
    uint64_t max_ns = 0;

    void observe_ns(uint64_t ns) noexcept {
        const double s = double(ns) / 1e9;
        size_t i = 0;
        while (i < kBuckets && s > kBoundsSeconds[i]) ++i;
        ++buckets[i];
        ++count;
        sum_ns += ns;
        if (ns > max_ns) max_ns = ns;
    }
};

// CPU time the calling thread has run, in nanoseconds (a system call,
// ~0.2 us: once per callback, not per item).
[[nodiscard]] inline uint64_t thread_cpu_ns() noexcept {
    timespec ts{};
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

// Observes the thread's CPU time from its making to its end into `h`.
class ScopedCpuTime {
public:
    explicit ScopedCpuTime(DurationHistogram& h) noexcept : h_(h), t0_(thread_cpu_ns()) {}
    ~ScopedCpuTime() {
        const uint64_t t = thread_cpu_ns();
        h_.observe_ns(t > t0_ ? t - t0_ : 0);
    }
    ScopedCpuTime(const ScopedCpuTime&) = delete;
    ScopedCpuTime& operator=(const ScopedCpuTime&) = delete;

private:
    DurationHistogram& h_;
    uint64_t t0_;
};

}  // namespace mmwatch::base
