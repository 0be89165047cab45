// Go semantics the results depend on: math.Max/Min (NaN wins), Kahan
// summation as Prometheus's kahansum.Inc (Neumaier's variant), the order
// Go's sort.Sort leaves small inputs in (an insertion sort: stable) and
// container/heap's up and down, so ties and NaNs land where Prometheus
// puts them.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace mmwatch::promql {

[[nodiscard]] inline double go_max(double a, double b) noexcept {
    if (std::isinf(a) && a > 0) return a;
    if (std::isinf(b) && b > 0) return b;
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
    if (a == 0 && a == b) return std::signbit(a) ? b : a;
    return a > b ? a : b;
}

[[nodiscard]] inline double go_min(double a, double b) noexcept {
    if (std::isinf(a) && a < 0) return a;
    if (std::isinf(b) && b < 0) return b;
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
    if (a == 0 && a == b) return std::signbit(a) ? a : b;
    return a < b ? a : b;
}

// kahansum.Inc: adds `inc` to (sum, c); infinities reset the compensation.
inline void kahan_inc(double inc, double& sum, double& c) noexcept {
    const double t = sum + inc;
    if (std::isinf(t)) c = 0;
    else if (std::fabs(sum) >= std::fabs(inc)) c += (sum - t) + inc;
    else c += (inc - t) + sum;
    sum = t;
}

// sort.Sort: Go sorts fewer than 12 elements by insertion (stable, and
// well defined even for a comparator NaNs make inconsistent); larger
// inputs take a stable sort with the same comparator.
template <class T, class Less>
void go_sort(std::vector<T>& v, Less less) {
    if (v.size() < 12) {
        for (size_t i = 1; i < v.size(); ++i)
            for (size_t j = i; j > 0 && less(v[j], v[j - 1]); --j) std::swap(v[j], v[j - 1]);
        return;
    }
    std::stable_sort(v.begin(), v.end(), [&](const T& a, const T& b) { return less(a, b) && !less(b, a); });
}

// container/heap over a vector ordered by `less` (heap[0] is the least).
template <class T, class Less>
void heap_up(std::vector<T>& h, size_t j, Less less) {
    while (j > 0) {
        const size_t i = (j - 1) / 2;
        if (!less(h[j], h[i])) break;
        std::swap(h[i], h[j]);
        j = i;
    }
}

template <class T, class Less>
bool heap_down(std::vector<T>& h, size_t i0, Less less) {
    size_t i = i0;
    const size_t n = h.size();
    while (true) {
        const size_t j1 = 2 * i + 1;
        if (j1 >= n) break;
        size_t j = j1;
        if (j1 + 1 < n && less(h[j1 + 1], h[j1])) j = j1 + 1;
        if (!less(h[j], h[i])) break;
        std::swap(h[i], h[j]);
        i = j;
    }
    return i > i0;
}

template <class T, class Less>
void heap_push(std::vector<T>& h, T v, Less less) {
    h.push_back(std::move(v));
    heap_up(h, h.size() - 1, less);
}

template <class T, class Less>
void heap_fix(std::vector<T>& h, size_t i, Less less) {
    if (!heap_down(h, i, less)) heap_up(h, i, less);
}

// vectorByValueHeap's Less (NaN sorts first) and its reverse.
[[nodiscard]] inline bool by_value_less(double a, double b) noexcept { return std::isnan(a) || a < b; }
[[nodiscard]] inline bool by_reverse_value_less(double a, double b) noexcept { return std::isnan(a) || a > b; }

// Sums and products of times in nanoseconds saturate instead of wrapping
// (Go wraps silently; in C++ it would be undefined).
[[nodiscard]] inline int64_t add_sat(int64_t a, int64_t b) noexcept {
    int64_t r;
    if (!__builtin_add_overflow(a, b, &r)) return r;
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}
[[nodiscard]] inline int64_t mul_sat(int64_t a, int64_t b) noexcept {
    int64_t r;
    if (!__builtin_mul_overflow(a, b, &r)) return r;
    return (a < 0) != (b < 0) ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
}

// sort.Search(n, pred): the first index in [0, n) where pred holds, by
// halves as Go does (so a predicate NaN makes non-monotonic lands where it
// lands in Prometheus).
template <class Pred>
[[nodiscard]] size_t go_search(size_t n, Pred pred) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t h = (lo + hi) / 2;
        if (!pred(h)) lo = h + 1;
        else hi = h;
    }
    return lo;
}

// util/almost.Equal: a and b differ by less than epsilon times their
// sum; two NaNs are equal, a staleness marker equals only another.
[[nodiscard]] inline bool almost_equal(double a, double b, double epsilon) noexcept {
    constexpr uint64_t kStale = 0x7ff0000000000002ull;
    const bool sa = std::bit_cast<uint64_t>(a) == kStale, sb = std::bit_cast<uint64_t>(b) == kStale;
    if (sa || sb) return sa && sb;
    if (std::isnan(a) && std::isnan(b)) return true;
    if (a == b) return true;
    constexpr double kMinNormal = 2.2250738585072014e-308;
    const double abs_sum = std::fabs(a) + std::fabs(b);
    const double diff = std::fabs(a - b);
    if (a == 0 || b == 0 || abs_sum < kMinNormal) return diff < epsilon * kMinNormal;
    return diff / std::min(abs_sum, std::numeric_limits<double>::max()) < epsilon;
}

// Go's int64(f) for the values Prometheus converts: NaN and out-of-range
// values become INT64_MIN as on amd64, never undefined behaviour.
[[nodiscard]] inline int64_t go_int64(double f) noexcept {
    if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0)) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(f);
}

}  // namespace mmwatch::promql
