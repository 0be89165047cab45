// Quantiles (Prometheus's quantile.go): over a set of values (quantile,
// quantile_over_time) and over the buckets of a classic histogram
// (histogram_quantile, histogram_fraction).
#pragma once

#include <vector>

namespace mmwatch::promql {

// The q-quantile of `values` by linear interpolation between the closest
// ranks; sorts `values`. NaN for no values or q NaN, -Inf below 0, +Inf
// above 1.
[[nodiscard]] double quantile(double q, std::vector<double>& values);

struct Bucket {
    double upper_bound;
    double count;
};

struct BucketQuantile {
    double value = 0;
    bool forced_monotonic = false;
};

// BucketQuantile: cumulative bucket counts, the +Inf bucket required.
[[nodiscard]] BucketQuantile bucket_quantile(double q, std::vector<Bucket>& buckets);
// BucketFraction: the share of observations between lower and upper.
[[nodiscard]] double bucket_fraction(double lower, double upper, std::vector<Bucket>& buckets);

}  // namespace mmwatch::promql
