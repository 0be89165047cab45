// H2 histogram bucket math, shared by the reader (mmwatch) and the producers.
//
// A histogram with grouping power g and max value power m has
// (m - g + 1) * 2^g buckets. Values below 2^(g+1) each have their own
// bucket; every power of two above that is split into 2^g equal buckets.
// Bounds are inclusive integers, so a bucket's upper bound is an exact
// Prometheus `le`. See docs/format.md.
#pragma once

#include <bit>
#include <cstdint>

namespace mmwatch::h2 {

// The largest histogram the reader accepts: g = 7, m = 64 is 7,424 buckets;
// this leaves room for g = 10 (56 * 1024 = 56,320) and refuses configs
// whose bucket count would make one metric hundreds of megabytes.
inline constexpr uint64_t kMaxBuckets = 65536;

[[nodiscard]] constexpr bool valid_config(unsigned g, unsigned m) noexcept {
    if (!(g < m && m <= 64)) return false;
    return g < 32 && (uint64_t(m - g + 1) << g) <= kMaxBuckets;
}

// Callers check valid_config first.
[[nodiscard]] constexpr uint64_t bucket_count(unsigned g, unsigned m) noexcept {
    return uint64_t(m - g + 1) << g;
}

// Index of the bucket holding v. Values above the max (2^m - 1) are clamped
// into the last bucket, so nothing a producer records is ever lost.
[[nodiscard]] constexpr uint64_t index_of(uint64_t v, unsigned g, unsigned m) noexcept {
    if (m < 64 && v >> m) return bucket_count(g, m) - 1;
    if (v < (uint64_t{2} << g)) return v;
    const unsigned p = 63u - unsigned(std::countl_zero(v));
    return (uint64_t{2} << g) + uint64_t(p - g - 1) * (uint64_t{1} << g) +
           ((v - (uint64_t{1} << p)) >> (p - g));
}

[[nodiscard]] constexpr uint64_t lower_bound(uint64_t i, unsigned g) noexcept {
    const uint64_t group = i >> g;
    const uint64_t h = i - (group << g);
    if (group == 0) return h;
    return (uint64_t{1} << (g + group - 1)) + (h << (group - 1));
}

[[nodiscard]] constexpr uint64_t upper_bound(uint64_t i, unsigned g, unsigned m) noexcept {
    if (i + 1 == bucket_count(g, m)) return m == 64 ? UINT64_MAX : (uint64_t{1} << m) - 1;
    const uint64_t group = i >> g;
    const uint64_t h = i - (group << g);
    if (group == 0) return h;
    // Unsigned wrap-around is exact here: the sum never exceeds 2^64 - 1
    // except for the last bucket, handled above.
    return (uint64_t{1} << (g + group - 1)) + ((h + 1) << (group - 1)) - 1;
}

static_assert(bucket_count(7, 64) == 7424);
static_assert(bucket_count(2, 64) == 252);
static_assert(bucket_count(2, 4) == 12);
static_assert(lower_bound(256, 7) == 256 && upper_bound(256, 7, 64) == 257);
static_assert(lower_bound(512, 7) == 1024 && upper_bound(512, 7, 64) == 1031);
static_assert(upper_bound(7423, 7, 64) == UINT64_MAX);
static_assert(index_of(UINT64_MAX, 7, 64) == 7423);
static_assert(index_of(16, 2, 4) == 11 && upper_bound(11, 2, 4) == 15);

}  // namespace mmwatch::h2
