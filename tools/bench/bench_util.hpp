// Timing helpers shared by the benchmark programs. Benchmarks print numbers;
// they never pass or fail.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace mmwatch::bench {

using Clock = std::chrono::steady_clock;

// Keeps the compiler from deleting a result nobody reads.
template <typename T>
inline void keep(const T& v) {
    asm volatile("" : : "g"(&v) : "memory");
}

// Mean nanoseconds per call of fn over a batch long enough to dwarf the
// clock's cost (the clock is read twice per batch).
template <typename Fn>
double ns_per_op(uint64_t iterations, Fn&& fn) {
    const auto t0 = Clock::now();
    for (uint64_t i = 0; i < iterations; ++i) fn(i);
    const auto t1 = Clock::now();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / double(iterations);
}

// Per-call latency samples in nanoseconds, each bracketed by two clock
// reads; the clock's own cost is reported separately (clock_overhead_ns).
template <typename Fn>
std::vector<double> latency_samples(uint64_t n, Fn&& fn) {
    std::vector<double> out(n);
    for (uint64_t i = 0; i < n; ++i) {
        const auto t0 = Clock::now();
        fn(i);
        const auto t1 = Clock::now();
        out[i] = std::chrono::duration<double, std::nano>(t1 - t0).count();
    }
    return out;
}

inline double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    const size_t k = std::min(v.size() - 1, size_t(q * double(v.size())));
    std::nth_element(v.begin(), v.begin() + long(k), v.end());
    return v[k];
}

// A measurement repeated: the minimum is the run least disturbed by other
// processes (the machine is shared); the median shows the typical one.
struct Repeated {
    double min = 0;
    double median = 0;
};

template <typename Measure>
Repeated repeat(int times, Measure measure) {
    std::vector<double> v;
    for (int i = 0; i < times; ++i) v.push_back(measure());
    std::sort(v.begin(), v.end());
    return {v.front(), v[v.size() / 2]};
}

inline double clock_overhead_ns() {
    return percentile(latency_samples(100'000, [](uint64_t) {}), 0.5);
}

}  // namespace mmwatch::bench
