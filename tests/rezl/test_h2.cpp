#include <doctest/doctest.h>

#include "mmwatch/h2.hpp"

using namespace mmwatch;

// Checks every bucket of a config: contiguous (each lower bound one past
// the previous upper), increasing, index_of(lower) == index_of(upper) == i,
// and the last upper bound is 2^m - 1. No 128-bit arithmetic: 32-bit ARM
// has none, and the one overflow (past 2^64 - 1) is after the last bucket.
static void check_config(unsigned g, unsigned m) {
    const uint64_t n = h2::bucket_count(g, m);
    uint64_t expect_lower = 0;
    for (uint64_t i = 0; i < n; ++i) {
        const uint64_t lo = h2::lower_bound(i, g);
        const uint64_t hi = h2::upper_bound(i, g, m);
        CHECK(lo == expect_lower);
        CHECK(lo <= hi);
        CHECK(h2::index_of(lo, g, m) == i);
        CHECK(h2::index_of(hi, g, m) == i);
        expect_lower = hi + 1;
    }
    const uint64_t max = m == 64 ? UINT64_MAX : (uint64_t{1} << m) - 1;
    CHECK(h2::upper_bound(n - 1, g, m) == max);
}

TEST_CASE("h2_bounds_are_contiguous_for_every_config_shape") {
    check_config(0, 1);
    check_config(0, 64);
    check_config(2, 4);
    check_config(2, 64);
    check_config(4, 40);
    check_config(7, 64);
    check_config(10, 64);
}

TEST_CASE("h2_examples_from_the_format") {
    CHECK(h2::bucket_count(7, 64) == 7424);
    CHECK(h2::bucket_count(2, 64) == 252);
    CHECK(h2::bucket_count(2, 4) == 12);
    CHECK(h2::lower_bound(256, 7) == 256);
    CHECK(h2::upper_bound(256, 7, 64) == 257);
    CHECK(h2::lower_bound(512, 7) == 1024);
    CHECK(h2::upper_bound(512, 7, 64) == 1031);
    CHECK(h2::upper_bound(7423, 7, 64) == UINT64_MAX);
}

TEST_CASE("h2_g0_has_one_bucket_per_power_of_two") {
    CHECK(h2::bucket_count(0, 64) == 65);
    CHECK(h2::index_of(0, 0, 64) == 0);
    CHECK(h2::index_of(1, 0, 64) == 1);
    CHECK(h2::index_of(2, 0, 64) == 2);
    CHECK(h2::index_of(3, 0, 64) == 2);
    CHECK(h2::index_of(4, 0, 64) == 3);
    CHECK(h2::upper_bound(64, 0, 64) == UINT64_MAX);
    CHECK(h2::lower_bound(64, 0) == (uint64_t{1} << 63));
}

TEST_CASE("h2_values_above_max_go_to_last_bucket") {
    CHECK(h2::index_of(15, 2, 4) == 11);
    CHECK(h2::index_of(16, 2, 4) == 11);
    CHECK(h2::index_of(UINT64_MAX, 2, 4) == 11);
    CHECK(h2::index_of(UINT64_MAX, 7, 64) == 7423);
}

TEST_CASE("h2_config_validity") {
    CHECK(h2::valid_config(0, 1));
    CHECK(h2::valid_config(7, 64));
    CHECK_FALSE(h2::valid_config(4, 4));
    CHECK_FALSE(h2::valid_config(5, 4));
    CHECK_FALSE(h2::valid_config(2, 65));
    CHECK(h2::valid_config(10, 64));        // 56 * 1024 = 57,344 buckets
    CHECK_FALSE(h2::valid_config(11, 64));  // 54 * 2048 = 110,592: over kMaxBuckets
    CHECK_FALSE(h2::valid_config(63, 64));  // 2^64 buckets would overflow
}
