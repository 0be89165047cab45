#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "history/sample.hpp"

using mmwatch::history::older_than;

TEST_CASE("older_than: now - t >= span for every int64, the difference never wrapped") {
    constexpr int64_t lo = std::numeric_limits<int64_t>::min();
    constexpr int64_t hi = std::numeric_limits<int64_t>::max();
    CHECK(older_than(0, 10, 10));
    CHECK_FALSE(older_than(1, 10, 10));
    CHECK(older_than(-5, 5, 10));
    // The true difference is 2^64 - 1: above every span, although it wraps to -1.
    CHECK(older_than(lo, hi, hi));
    // The true difference is -(2^64 - 1): below every span, although it wraps to 1.
    CHECK_FALSE(older_than(hi, lo, 0));
    CHECK_FALSE(older_than(hi, lo, lo + 1));
    CHECK_FALSE(older_than(hi, lo, lo));
    CHECK(older_than(10, 5, -5));
}
