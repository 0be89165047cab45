#include "promql/quantile.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "promql/go_compat.hpp"

namespace mmwatch::promql {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Relative differences between adjacent cumulative counts below this are
// floating point noise, not a decrease (Prometheus's smallDeltaTolerance).
constexpr double kSmallDeltaTolerance = 1e-12;

void sort_buckets(std::vector<Bucket>& b) {
    go_sort(b, [](const Bucket& x, const Bucket& y) { return x.upper_bound < y.upper_bound; });
}

// Buckets with the same upper bound are added up.
void coalesce(std::vector<Bucket>& b) {
    size_t i = 0;
    Bucket last = b[0];
    for (size_t k = 1; k < b.size(); ++k) {
        if (b[k].upper_bound == last.upper_bound) {
            last.count += b[k].count;
        } else {
            b[i++] = last;
            last = b[k];
        }
    }
    b[i++] = last;
    b.resize(i);
}

bool ensure_monotonic(std::vector<Bucket>& b) {
    bool forced = false;
    double prev = b[0].count;
    for (size_t i = 1; i < b.size(); ++i) {
        const double curr = b[i].count;
        if (curr == prev) continue;
        if (almost_equal(prev, curr, kSmallDeltaTolerance)) {
            b[i].count = prev;
            continue;
        }
        if (curr < prev) {
            b[i].count = prev;
            forced = true;
            continue;
        }
        prev = curr;
    }
    return forced;
}

}  // namespace

double quantile(double q, std::vector<double>& values) {
    if (values.empty() || std::isnan(q)) return kNaN;
    if (q < 0) return -kInf;
    if (q > 1) return kInf;
    go_sort(values, [](double a, double b) { return by_value_less(a, b); });
    const double n = static_cast<double>(values.size());
    const double rank = q * (n - 1);
    const double lower = std::max(0.0, std::floor(rank));
    const double upper = std::min(n - 1, lower + 1);
    const double weight = rank - std::floor(rank);
    return values[static_cast<size_t>(lower)] * (1 - weight) + values[static_cast<size_t>(upper)] * weight;
}

BucketQuantile bucket_quantile(double q, std::vector<Bucket>& buckets) {
    BucketQuantile r;
    if (std::isnan(q)) return r.value = kNaN, r;
    if (q < 0) return r.value = -kInf, r;
    if (q > 1) return r.value = kInf, r;
    sort_buckets(buckets);
    if (!std::isinf(buckets.back().upper_bound) || buckets.back().upper_bound < 0) return r.value = kNaN, r;
    coalesce(buckets);
    r.forced_monotonic = ensure_monotonic(buckets);
    if (buckets.size() < 2) return r.value = kNaN, r;
    const double observations = buckets.back().count;
    if (observations == 0) return r.value = kNaN, r;
    double rank = q * observations;
    // sort.Search over all but the +Inf bucket: the first with count >= rank
    // (a binary search, as Go's, so NaN counts lead where they lead there).
    const size_t b = go_search(buckets.size() - 1, [&](size_t i) { return buckets[i].count >= rank; });
    if (b == buckets.size() - 1) return r.value = buckets[buckets.size() - 2].upper_bound, r;
    if (b == 0 && buckets[0].upper_bound <= 0) return r.value = buckets[0].upper_bound, r;
    double start = 0;
    const double end = buckets[b].upper_bound;
    double count = buckets[b].count;
    if (b > 0) {
        start = buckets[b - 1].upper_bound;
        count -= buckets[b - 1].count;
        rank -= buckets[b - 1].count;
    }
    r.value = start + (end - start) * (rank / count);
    return r;
}

double bucket_fraction(double lower, double upper, std::vector<Bucket>& buckets) {
    sort_buckets(buckets);
    if (!std::isinf(buckets.back().upper_bound) || buckets.back().upper_bound < 0) return kNaN;
    coalesce(buckets);
    const double count = buckets.back().count;
    if (count == 0 || std::isnan(lower) || std::isnan(upper)) return kNaN;
    if (lower >= upper) return 0;
    double rank = 0, lower_rank = 0, upper_rank = 0;
    bool lower_set = false, upper_set = false;
    double lower_bound = buckets[0].upper_bound <= 0 ? -kInf : 0;
    for (size_t i = 0; i < buckets.size(); ++i) {
        if (i > 0) lower_bound = buckets[i - 1].upper_bound;
        const double upper_bound = buckets[i].upper_bound;
        const double bcount = buckets[i].count;
        auto interpolate = [&](double v) {
            if (lower_bound == -kInf) return bcount;
            return rank + (bcount - rank) * (v - lower_bound) / (upper_bound - lower_bound);
        };
        if (!lower_set && lower_bound >= lower) lower_rank = rank, lower_set = true;
        if (!upper_set && lower_bound >= upper) upper_rank = rank, upper_set = true;
        if (lower_set && upper_set) break;
        if (!lower_set && lower_bound < lower && upper_bound > lower) lower_rank = interpolate(lower), lower_set = true;
        if (!upper_set && lower_bound < upper && upper_bound > upper) upper_rank = interpolate(upper), upper_set = true;
        if (lower_set && upper_set) break;
        rank = bcount;
    }
    if (!lower_set || lower_rank > count) lower_rank = count;
    if (!upper_set || upper_rank > count) upper_rank = count;
    return (upper_rank - lower_rank) / count;
}

}  // namespace mmwatch::promql
