// A sample as the store keeps it: a millisecond timestamp and the value's
// 64 bits. Values travel as bits inside the store so no path can quiet a
// signalling NaN (Prometheus' staleness marker is one) or lose a payload.
#pragma once

#include <bit>
#include <cstdint>

namespace mmwatch::history {

// The value Prometheus writes to mark a series stale (a signalling NaN).
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;

struct Sample {
    int64_t t = 0;       // milliseconds since the Unix epoch
    uint64_t bits = 0;   // the float64 value's bits
    [[nodiscard]] double value() const noexcept { return std::bit_cast<double>(bits); }
};

[[nodiscard]] inline uint64_t value_bits(double v) noexcept { return std::bit_cast<uint64_t>(v); }
[[nodiscard]] inline bool is_stale_marker(uint64_t bits) noexcept { return bits == kStaleNaNBits; }

// now - t >= span, for any int64 values (a wrapped difference means the true
// one lies beyond int64, above every span when now > t, below it otherwise).
// No __int128: 32-bit ARM has none.
[[nodiscard]] inline bool older_than(int64_t t, int64_t now, int64_t span) noexcept {
    int64_t d = 0;
    if (__builtin_sub_overflow(now, t, &d)) return now > t;
    return d >= span;
}

}  // namespace mmwatch::history
