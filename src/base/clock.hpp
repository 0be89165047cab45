// The one clock type. Every callback reads the time once and hands it down:
// `mono_ms` for intervals, deadlines and timeouts (never jumps), `unix_ns`
// for what people and other systems read (the event log, OTLP points,
// process_start_time_seconds).
#pragma once

#include <time.h>

#include <cstdint>

namespace mmwatch::base {

struct Now {
    uint64_t mono_ms = 0;
    int64_t unix_ns = 0;
    [[nodiscard]] constexpr int64_t unix_ms() const noexcept { return unix_ns / 1'000'000; }
};

[[nodiscard]] inline int64_t unix_ns_now() noexcept {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The monotonic clock in nanoseconds: for a budget that ends work within a
// loop turn (a query's slice time, promql::Budget), where milliseconds are
// too coarse.
[[nodiscard]] inline uint64_t mono_ns_now() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

// `mono_ms` from the caller (the loop's cached time), wall time read now.
[[nodiscard]] inline Now now_at(uint64_t mono_ms) noexcept { return {mono_ms, unix_ns_now()}; }

[[nodiscard]] inline Now clock_now() noexcept { return now_at(mono_ns_now() / 1'000'000); }

}  // namespace mmwatch::base
