// Range-vector functions over floats: rate, increase, delta (extrapolated
// as Prometheus 3 does), irate, idelta, deriv, predict_linear, changes,
// resets, the *_over_time family and double_exponential_smoothing.
#include <cmath>
#include <cstddef>
#include <cstdio>

#include "promql/format.hpp"
#include "promql/function_calls.hpp"
#include "promql/go_compat.hpp"

namespace mmwatch::promql {

namespace {

using Points = std::span<const FPoint>;

double range_seconds(int64_t ns) noexcept {
    return static_cast<double>(ns / 1'000'000'000) + static_cast<double>(ns % 1'000'000'000) / 1e9;
}

// extrapolatedRate for floats (no start timestamps).
bool extrapolated_rate(const RangeWindow& w, bool counter, bool rate, double& out) {
    const Points f = w.points;
    if (f.size() < 2) return false;
    const int64_t range_start = w.ts - add_sat(w.range_ns, w.offset_ns) / 1'000'000;
    const int64_t range_end = w.ts - w.offset_ns / 1'000'000;
    double result = f.back().f - f.front().f;
    if (counter)
        for (size_t i = 1; i < f.size(); ++i)
            if (f[i].f < f[i - 1].f) result += f[i - 1].f;
    double to_start = static_cast<double>(f.front().t - range_start) / 1000;
    double to_end = static_cast<double>(range_end - f.back().t) / 1000;
    const double sampled = static_cast<double>(f.back().t - f.front().t) / 1000;
    const double average = sampled / static_cast<double>(f.size() - 1);
    const double threshold = average * 1.1;
    if (to_start >= threshold) to_start = average / 2;
    if (counter) {
        double to_zero = to_start;
        if (result > 0 && f.front().f >= 0) to_zero = sampled * (f.front().f / result);
        if (to_zero < to_start) to_start = to_zero;
    }
    if (to_end >= threshold) to_end = average / 2;
    double factor = 1.0;
    if (sampled != 0) factor = (sampled + to_start + to_end) / sampled;
    if (rate) factor /= range_seconds(w.range_ns);
    out = result * factor;
    return true;
}

// The value at `t` on the line between two samples; a counter that
// dropped starts from 0 (Prometheus's interpolate).
double interpolate(FPoint a, FPoint b, int64_t t, bool counter) {
    const double y1 = counter && b.f < a.f ? 0 : a.f;
    return y1 + (b.f - y1) * static_cast<double>(t - a.t) / static_cast<double>(b.t - a.t);
}

// extendedRate: rate, increase and delta over an anchored or smoothed
// window, whose samples reach back (and, smoothed, forward) one lookback
// delta past the range.
bool extended_rate(const RangeWindow& w, bool counter, bool rate, double& out) {
    const Points f = w.points;
    const int64_t range_start = w.ts - add_sat(w.range_ns, w.offset_ns) / 1'000'000;
    const int64_t range_end = w.ts - w.offset_ns / 1'000'000;
    size_t last = f.size() - 1;
    const size_t found = go_search(last, [&](size_t i) { return f[i].t > range_start; });
    size_t first = found > 0 ? found - 1 : 0;
    if (w.smoothed) last = go_search(last, [&](size_t i) { return f[i].t >= range_end; });
    if (f[last].t <= range_start) return false;
    if (w.smoothed && f[first].t > range_end) return false;
    const double left = w.smoothed && f[first].t < range_start ? interpolate(f[first], f[first + 1], range_start, counter)
                                                               : f[first].f;
    const double right = w.smoothed && last > 0 && f[last].t > range_end
                             ? interpolate(f[last - 1], f[last], range_end, counter)
                             : f[last].f;
    double result = right - left;
    if (counter) {  // correctForCounterResets over the samples strictly inside
        auto lo = static_cast<std::ptrdiff_t>(first), hi = static_cast<std::ptrdiff_t>(last);
        if (f[first].t <= range_start) ++lo;
        if (f[last].t >= range_end) --hi;
        double correction = 0, prev = left;
        for (std::ptrdiff_t i = lo; i <= hi; ++i) {
            if (f[static_cast<size_t>(i)].f < prev) correction += prev;
            prev = f[static_cast<size_t>(i)].f;
        }
        if (right < prev) correction += prev;
        result += correction;
    }
    if (rate) result /= range_seconds(w.range_ns);
    out = result;
    return true;
}

// Where changes() and resets() start over an anchored window: the last
// sample at or before the range's start (pickFirstSampleIndices).
bool anchored_start(const RangeWindow& w, size_t& first) {
    first = 0;
    if (!w.anchored) return true;
    const Points f = w.points;
    const int64_t range_start = w.ts - add_sat(w.range_ns, w.offset_ns) / 1'000'000;
    const size_t after = go_search(f.size(), [&](size_t i) { return f[i].t > range_start; });
    if (after >= f.size()) return false;
    first = after > 0 ? after - 1 : 0;
    return true;
}

// irate and idelta: the last two samples.
bool instant_value(Points f, bool rate, double& out) {
    if (f.size() < 2) return false;
    const FPoint a = f[f.size() - 2], b = f.back();
    const int64_t interval = b.t - a.t;
    if (interval == 0) return false;
    out = b.f;
    if (!rate || !(b.f < a.f)) out = b.f - a.f;
    if (rate) out /= static_cast<double>(interval) / 1000;
    return true;
}

void linear_regression(Points f, int64_t intercept_time, double& slope, double& intercept) {
    double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
    const double init = f[0].f;
    bool constant = true;
    for (size_t i = 0; i < f.size(); ++i) {
        if (constant && i > 0 && f[i].f != init) constant = false;
        n += 1.0;
        const double x = static_cast<double>(f[i].t - intercept_time) / 1e3;
        kahan_inc(x, sx, cx);
        kahan_inc(f[i].f, sy, cy);
        kahan_inc(x * f[i].f, sxy, cxy);
        kahan_inc(x * x, sx2, cx2);
    }
    if (constant) {
        if (std::isinf(init)) slope = intercept = NAN;
        else slope = 0, intercept = init;
        return;
    }
    sx += cx, sy += cy, sxy += cxy, sx2 += cx2;
    const double cov = sxy - sx * sy / n;
    const double var = sx2 - sx * sx / n;
    slope = cov / var;
    intercept = sy / n - slope * sx / n;
}

double avg_over_time(Points f) {
    double sum = f[0].f, count = 1, mean = 0, c = 0;
    bool incremental = false;
    for (size_t i = 1; i < f.size(); ++i) {
        count = static_cast<double>(i + 1);
        if (!incremental) {
            double s = sum, k = c;
            kahan_inc(f[i].f, s, k);
            if (!std::isinf(s)) {
                sum = s, c = k;
                continue;
            }
            incremental = true;
            mean = sum / (count - 1);
            c /= count - 1;
        }
        const double q = (count - 1) / count;
        mean = q * mean;
        c = q * c;
        kahan_inc(f[i].f / count, mean, c);
    }
    return incremental ? mean + c : sum / count + c / count;
}

double variance_over_time(Points f) {
    double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
    for (const FPoint& p : f) {
        count++;
        const double delta = p.f - (mean + cmean);
        kahan_inc(delta / count, mean, cmean);
        kahan_inc(delta * (p.f - (mean + cmean)), aux, caux);
    }
    return (aux + caux) / count;
}

// max, min and their timestamps: `better(cur, best)` replaces the best.
template <class Better>
FPoint best_over_time(Points f, Better better) {
    FPoint best = f[0];
    for (const FPoint& p : f)
        if (better(p.f, best.f)) best = p;
    return best;
}

double mad_over_time(Points f) {
    std::vector<double> values;
    for (const FPoint& p : f) {
        if (std::isnan(p.f)) return NAN;
        values.push_back(p.f);
    }
    const double median = quantile(0.5, values);
    for (double& v : values) v = std::fabs(v - median);
    return quantile(0.5, values);
}

bool double_exponential_smoothing(const RangeWindow& w, double& out, std::string& error) {
    const double sf = w.scalars[0], tf = w.scalars[1];
    char buf[96];
    if (sf <= 0 || sf >= 1) {
        std::snprintf(buf, sizeof buf, "invalid smoothing factor. Expected: 0 < sf < 1, got: %f", sf);
        error = buf;
        return false;
    }
    if (tf <= 0 || tf >= 1) {
        std::snprintf(buf, sizeof buf, "invalid trend factor. Expected: 0 < tf < 1, got: %f", tf);
        error = buf;
        return false;
    }
    const Points f = w.points;
    if (f.size() < 2) return false;
    double s0 = 0, s1 = f[0].f, b = f[1].f - f[0].f;
    for (size_t i = 1; i < f.size(); ++i) {
        const double x = sf * f[i].f;
        if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
        const double y = (1 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    out = s1;
    return true;
}

size_t changes(Points f, size_t first) {
    size_t n = 0;
    for (size_t i = first + 1; i < f.size(); ++i)
        if (f[i].f != f[i - 1].f && !(std::isnan(f[i].f) && std::isnan(f[i - 1].f))) ++n;
    return n;
}

size_t resets(Points f, size_t first) {
    size_t n = 0;
    for (size_t i = first + 1; i < f.size(); ++i)
        if (f[i].f < f[i - 1].f) ++n;
    return n;
}

}  // namespace

bool call_range(Fn id, const RangeWindow& w, double& out, Annotations& annotations, std::string& error) {
    const Points f = w.points;
    const bool extended = w.anchored || w.smoothed;
    size_t first = 0;
    switch (id) {
    case Fn::rate: return extended ? extended_rate(w, true, true, out) : extrapolated_rate(w, true, true, out);
    case Fn::increase: return extended ? extended_rate(w, true, false, out) : extrapolated_rate(w, true, false, out);
    case Fn::delta: return extended ? extended_rate(w, false, false, out) : extrapolated_rate(w, false, false, out);
    case Fn::irate: return instant_value(f, true, out);
    case Fn::idelta: return instant_value(f, false, out);
    case Fn::deriv: {
        if (f.size() < 2) return false;
        double intercept;
        linear_regression(f, f[0].t, out, intercept);
        return true;
    }
    case Fn::predict_linear: {
        if (f.size() < 2) return false;
        double slope, intercept;
        linear_regression(f, w.ts, slope, intercept);
        out = slope * w.scalars[0] + intercept;
        return true;
    }
    case Fn::changes:
        if (!anchored_start(w, first)) return false;
        out = static_cast<double>(changes(f, first));
        return true;
    case Fn::resets:
        if (!anchored_start(w, first)) return false;
        out = static_cast<double>(resets(f, first));
        return true;
    case Fn::avg_over_time: out = avg_over_time(f); return true;
    case Fn::count_over_time: out = static_cast<double>(f.size()); return true;
    case Fn::first_over_time: out = f.front().f; return true;
    case Fn::last_over_time: out = f.back().f; return true;
    case Fn::ts_of_first_over_time: out = static_cast<double>(f.front().t) / 1000; return true;
    case Fn::ts_of_last_over_time: out = static_cast<double>(f.back().t) / 1000; return true;
    case Fn::max_over_time: out = best_over_time(f, [](double c, double b) { return c > b || std::isnan(b); }).f; return true;
    case Fn::min_over_time: out = best_over_time(f, [](double c, double b) { return c < b || std::isnan(b); }).f; return true;
    case Fn::ts_of_max_over_time:
        out = static_cast<double>(best_over_time(f, [](double c, double b) { return c >= b || std::isnan(b); }).t) / 1000;
        return true;
    case Fn::ts_of_min_over_time:
        out = static_cast<double>(best_over_time(f, [](double c, double b) { return c <= b || std::isnan(b); }).t) / 1000;
        return true;
    case Fn::sum_over_time: {
        double sum = 0, c = 0;
        for (const FPoint& p : f) kahan_inc(p.f, sum, c);
        out = std::isinf(sum) ? sum : sum + c;
        return true;
    }
    case Fn::quantile_over_time: {
        const double q = w.scalars[0];
        if (std::isnan(q) || q < 0 || q > 1) annotations.warn("quantile value should be between 0 and 1, got " + format_go_g(q));
        std::vector<double> values;
        for (const FPoint& p : f) values.push_back(p.f);
        out = quantile(q, values);
        return true;
    }
    case Fn::stdvar_over_time: out = variance_over_time(f); return true;
    case Fn::stddev_over_time: out = std::sqrt(variance_over_time(f)); return true;
    case Fn::mad_over_time: out = mad_over_time(f); return true;
    case Fn::present_over_time:
    case Fn::absent_over_time: out = 1; return true;
    case Fn::double_exponential_smoothing: return double_exponential_smoothing(w, out, error);
    default:
        error = "not a range-vector function";
        return false;
    }
}

}  // namespace mmwatch::promql
