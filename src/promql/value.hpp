// The values the evaluator passes around, as in Prometheus's promql
// package: float points, series (a label set and its points), matrices,
// instant-vector samples. Native histograms have no place here: mmwatch
// stores floats only.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "promql/label_set.hpp"

namespace mmwatch::promql {

// The NaN Prometheus writes as a staleness marker (value.StaleNaN): a
// series that ended. Selectors treat it as "no sample"; it never appears
// in a result.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;
[[nodiscard]] inline bool is_stale_nan(double v) noexcept { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }
[[nodiscard]] inline double stale_nan() noexcept { return std::bit_cast<double>(kStaleNaNBits); }

struct FPoint {
    int64_t t;  // milliseconds since the epoch
    double f;
};

struct Series {
    Labels metric;
    std::vector<FPoint> floats;
    // The metric name (and type, unit) must go before the result is shown;
    // kept until then when names are removed late (delayed name removal).
    bool drop_name = false;
};
using Matrix = std::vector<Series>;

struct Sample {
    Labels metric;
    int64_t t = 0;
    double f = 0;
    bool drop_name = false;
};
using Vector = std::vector<Sample>;

// Sorted by label set (Prometheus's sort.Sort(Matrix)).
void sort_by_labels(Matrix& m);
// Two elements with one label set (Vector.ContainsSameLabelset).
[[nodiscard]] bool contains_same_labelset(const Vector& v);
[[nodiscard]] bool contains_same_labelset(const Matrix& m);

}  // namespace mmwatch::promql
