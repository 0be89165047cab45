#include <doctest/doctest.h>

#include <cmath>

#include "promql/quantile.hpp"

using namespace mmwatch::promql;

TEST_CASE("quantile_interpolates_between_ranks") {
    std::vector<double> v{4, 1, 3, 2};
    CHECK(quantile(0.5, v) == 2.5);
    CHECK(quantile(0, v) == 1);
    CHECK(quantile(1, v) == 4);
    CHECK(std::isinf(quantile(1.5, v)));
    CHECK(std::isnan(quantile(NAN, v)));
    std::vector<double> none;
    CHECK(std::isnan(quantile(0.5, none)));
}

TEST_CASE("bucket_quantile_over_classic_buckets") {
    std::vector<Bucket> b{{1, 10}, {2, 20}, {INFINITY, 20}};
    CHECK(bucket_quantile(0.5, b).value == 1);
    std::vector<Bucket> c{{1, 10}, {2, 20}, {INFINITY, 20}};
    CHECK(bucket_quantile(0.75, c).value == 1.5);
    std::vector<Bucket> no_inf{{1, 10}, {2, 20}};
    CHECK(std::isnan(bucket_quantile(0.5, no_inf).value));
    std::vector<Bucket> bumpy{{1, 10}, {2, 8}, {INFINITY, 20}};
    CHECK(bucket_quantile(0.5, bumpy).forced_monotonic);
}

TEST_CASE("bucket_fraction_between_bounds") {
    std::vector<Bucket> b{{1, 10}, {2, 20}, {INFINITY, 20}};
    CHECK(bucket_fraction(0, 1, b) == 0.5);
    std::vector<Bucket> c{{1, 10}, {2, 20}, {INFINITY, 20}};
    CHECK(bucket_fraction(1, 1.5, c) == 0.25);
}
