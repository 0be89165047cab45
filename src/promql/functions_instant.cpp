// Instant-vector functions: math, clamp, round, scalar, vector, time,
// timestamp, absent, sort*, the date functions and the classic-histogram
// functions (histogram_quantile, histogram_fraction, histogram_quantiles).
#include <cmath>
#include <numbers>

#include "promql/format.hpp"
#include "promql/function_calls.hpp"
#include "promql/go_compat.hpp"
#include "promql/lexer.hpp"

namespace mmwatch::promql {

namespace {

// Built once per input series, found again at later steps.
const Labels& name_dropped(InstantCall& c, const Sample& s) {
    if (c.delayed_name_removal) return s.metric;
    return c.dropped.get(s.metric, nullptr, [&] { return drop_metadata(s.metric); });
}

bool math_function(Fn id, double& v) {
    switch (id) {
    case Fn::abs: v = std::fabs(v); return true;
    case Fn::ceil: v = std::ceil(v); return true;
    case Fn::floor: v = std::floor(v); return true;
    case Fn::exp: v = std::exp(v); return true;
    case Fn::sqrt: v = std::sqrt(v); return true;
    case Fn::ln: v = std::log(v); return true;
    case Fn::log2: v = std::log2(v); return true;
    case Fn::log10: v = std::log10(v); return true;
    case Fn::sin: v = std::sin(v); return true;
    case Fn::cos: v = std::cos(v); return true;
    case Fn::tan: v = std::tan(v); return true;
    case Fn::asin: v = std::asin(v); return true;
    case Fn::acos: v = std::acos(v); return true;
    case Fn::atan: v = std::atan(v); return true;
    case Fn::sinh: v = std::sinh(v); return true;
    case Fn::cosh: v = std::cosh(v); return true;
    case Fn::tanh: v = std::tanh(v); return true;
    case Fn::asinh: v = std::asinh(v); return true;
    case Fn::acosh: v = std::acosh(v); return true;
    case Fn::atanh: v = std::atanh(v); return true;
    case Fn::rad: v = v * std::numbers::pi / 180; return true;
    case Fn::deg: v = v * 180 / std::numbers::pi; return true;
    case Fn::sgn: v = v < 0 ? -1 : v > 0 ? 1 : v; return true;
    default: return false;
    }
}

// A civil date from Unix seconds (UTC), as Go's time.Unix(s, 0).UTC().
struct Civil {
    int64_t year;
    int month, day, hour, minute, weekday, yearday;
};

bool leap(int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in(int64_t y, int m) noexcept {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

Civil civil(int64_t secs) {
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) rem += 86400, --days;
    Civil c{};
    c.hour = static_cast<int>(rem / 3600);
    c.minute = static_cast<int>(rem % 3600 / 60);
    c.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
    // Howard Hinnant's civil_from_days.
    const int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
    c.yearday = c.day;
    for (int m = 1; m < c.month; ++m) c.yearday += days_in(c.year, m);
    return c;
}

bool date_function(Fn id, int64_t secs, double& v) {
    const Civil c = civil(secs);
    switch (id) {
    case Fn::days_in_month: v = days_in(c.year, c.month); return true;
    case Fn::day_of_month: v = c.day; return true;
    case Fn::day_of_week: v = c.weekday; return true;
    case Fn::day_of_year: v = c.yearday; return true;
    case Fn::hour: v = c.hour; return true;
    case Fn::minute: v = c.minute; return true;
    case Fn::month: v = c.month; return true;
    case Fn::year: v = static_cast<double>(c.year); return true;
    default: return false;
    }
}

void sort_floats(Vector& v, bool descending) {
    if (descending) go_sort(v, [](const Sample& a, const Sample& b) { return by_value_less(b.f, a.f); });
    else go_sort(v, [](const Sample& a, const Sample& b) { return by_reverse_value_less(b.f, a.f); });
}

// facette/natsort's Compare: runs of digits compare as numbers.
std::vector<std::string_view> chunks(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        const bool digit = s[i] >= '0' && s[i] <= '9';
        size_t j = i;
        while (j < s.size() && (s[j] >= '0' && s[j] <= '9') == digit) ++j;
        out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

bool natural_less(std::string_view a, std::string_view b) {
    const auto ca = chunks(a), cb = chunks(b);
    for (size_t i = 0; i < ca.size(); ++i) {
        if (i >= cb.size()) return false;
        const bool na = !ca[i].empty() && ca[i][0] >= '0' && ca[i][0] <= '9' && ca[i].size() < 19;
        const bool nb = !cb[i].empty() && cb[i][0] >= '0' && cb[i][0] <= '9' && cb[i].size() < 19;
        const bool last_a = i == ca.size() - 1, last_b = i == cb.size() - 1;
        if (na && nb) {
            const long long x = std::stoll(std::string(ca[i])), y = std::stoll(std::string(cb[i]));
            if (x != y) return x < y;
        } else if (ca[i] != cb[i]) {
            return ca[i] < cb[i];
        }
        if (last_a) return true;
        if (last_b) return false;
    }
    return false;
}

void sort_by_label(const Call& call, Vector& v, bool descending) {
    std::vector<std::string> names;
    for (size_t i = 1; i < call.args.size(); ++i) names.push_back(as<StringLiteral>(*call.args[i]).val);
    auto cmp = [&](const Sample& a, const Sample& b) {
        for (const auto& n : names) {
            const auto x = a.metric.get(n), y = b.metric.get(n);
            if (x == y) continue;
            return natural_less(x, y) != descending;
        }
        const int c = compare(a.metric, b.metric);
        return descending ? c > 0 : c < 0;
    };
    std::stable_sort(v.begin(), v.end(), cmp);
}

// Classic histograms at one step: the buckets of each label set but le.
void gather_buckets(InstantCall& c, const Vector& in) {
    for (auto& h : c.histograms) h.buckets.clear();
    for (const Sample& s : in) {
        double upper;
        const std::string_view le = s.metric.get(kBucketLabel);
        if (!parse_go_float(le, upper)) {
            std::string msg = "bucket label \"le\" is missing or has a malformed value of ";
            append_go_quoted(msg, le);
            const std::string_view name = s.metric.get(kMetricNameLabel);
            if (c.delayed_name_removal && !name.empty()) {
                msg += " for metric name ";
                append_go_quoted(msg, name);
            }
            c.annotations.warn(msg);
            continue;
        }
        LabelsBuilder b(s.metric);
        b.del(kBucketLabel);
        Labels without_le = b.labels();
        auto [it, added] = c.histogram_index.try_emplace(std::string(without_le.encoded()), c.histograms.size());
        if (added) c.histograms.push_back({std::move(without_le), {}});
        c.histograms[it->second].buckets.push_back({upper, s.f});
    }
}

std::string quantile_label(double q) {
    if (q == 1) return "1.0";
    if (q == 0) return "0.0";
    if (q == -1) return "-1.0";
    std::string s = format_go_g(q);
    if (!std::isnan(q) && !std::isinf(q) && s.find_first_of("e.") == std::string::npos) s += ".0";
    return s;
}

void histogram_quantiles(InstantCall& c, const StepInput& in, const std::vector<double>& qs, Vector& out) {
    gather_buckets(c, in.vectors[c.call.func->id == Fn::histogram_quantile ? 1 : 0]);
    const std::string label = c.call.func->id == Fn::histogram_quantiles ? as<StringLiteral>(*c.call.args[1]).val : "";
    for (const double q : qs) {
        for (auto& h : c.histograms) {
            if (h.buckets.empty()) continue;
            const BucketQuantile r = bucket_quantile(q, h.buckets);
            if (r.forced_monotonic) {
                std::string msg = "input to histogram_quantile needed to be fixed for monotonicity (see "
                                  "https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)";
                const std::string_view name = h.metric.get(kMetricNameLabel);
                if (c.delayed_name_removal && !name.empty()) msg += " for metric name \"" + std::string(name) + "\"";
                c.annotations.info(msg);
            }
            if (!c.delayed_name_removal) h.metric = drop_metadata(h.metric);
            Labels metric = h.metric;
            if (!label.empty()) {
                LabelsBuilder b(metric);
                b.set(label, quantile_label(q));
                metric = b.labels();
            }
            out.push_back({std::move(metric), 0, r.value, true});
        }
    }
}

void warn_quantile(InstantCall& c, double q) {
    if (std::isnan(q) || q < 0 || q > 1) c.annotations.warn("quantile value should be between 0 and 1, got " + format_go_g(q));
}

}  // namespace

Labels labels_for_absent(const Expr& arg) {
    const Expr* e = &arg;
    if (e->kind == NodeKind::matrix_selector) e = as<MatrixSelector>(*e).vector_selector.get();
    if (e->kind != NodeKind::vector_selector) return Labels();
    LabelsBuilder b;
    std::vector<std::string> has;
    for (const Matcher& m : as<VectorSelector>(*e).matchers) {
        if (m.name() == kMetricNameLabel) continue;
        if (m.type() == MatchType::equal && std::find(has.begin(), has.end(), m.name()) == has.end()) {
            b.set(m.name(), m.value());
            has.push_back(m.name());
        } else {
            b.del(m.name());
        }
    }
    return b.labels();
}

namespace {

bool is_clamp(Fn id) noexcept { return id == Fn::clamp || id == Fn::clamp_max || id == Fn::clamp_min; }

}  // namespace

bool is_elementwise(const InstantCall& c) {
    const Fn id = c.call.func->id;
    double probe = 0;
    if (math_function(id, probe)) return true;
    if (date_function(id, 0, probe)) return !c.call.args.empty();  // without one: the evaluation time
    return id == Fn::round || is_clamp(id) || id == Fn::timestamp;
}

void call_elementwise(InstantCall& c, const StepInput& in, size_t from, size_t to, Vector& out) {
    const Fn id = c.call.func->id;
    const auto& v = in.vectors;
    double lo = -INFINITY, hi = INFINITY, inverse = 1;
    if (id == Fn::clamp || id == Fn::clamp_min) lo = v[1][0].f;
    if (id == Fn::clamp) hi = v[2][0].f;
    if (id == Fn::clamp_max) hi = v[1][0].f;
    if (id == Fn::round) inverse = 1.0 / (v.size() >= 2 ? v[1][0].f : 1.0);
    if (hi < lo) return;
    if (from == 0 && !c.delayed_name_removal) c.dropped.reserve(v[0].size());
    for (size_t i = from; i < to; ++i) {
        const Sample& s = v[0][i];
        double f = s.f;
        if (id == Fn::round) {
            f = std::floor(f * inverse + 0.5) / inverse;
        } else if (is_clamp(id)) {
            f = go_max(lo, go_min(hi, f));
        } else if (id == Fn::timestamp) {
            f = static_cast<double>(s.t) / 1000;
        } else if (!math_function(id, f)) {
            double r = 0;
            date_function(id, go_int64(s.f), r);
            f = r;
        }
        out.push_back({name_dropped(c, s), 0, f, true});
    }
}

std::string call_instant(InstantCall& c, const StepInput& in, Vector& out) {
    const Fn id = c.call.func->id;
    const auto& v = in.vectors;
    if (is_elementwise(c)) {
        call_elementwise(c, in, 0, v[0].size(), out);
        return {};
    }
    double probe = 0;
    if (date_function(id, in.ts / 1000, probe)) {  // no argument: the evaluation time
        out.push_back({Labels(), 0, probe, false});
        return {};
    }
    switch (id) {
    case Fn::scalar: out.push_back({Labels(), 0, v[0].size() == 1 ? v[0][0].f : NAN, false}); return {};
    case Fn::vector: out.push_back({Labels(), 0, v[0][0].f, false}); return {};
    case Fn::time: out.push_back({Labels(), 0, static_cast<double>(in.ts) / 1000, false}); return {};
    case Fn::pi: out.push_back({Labels(), 0, std::numbers::pi, false}); return {};
    case Fn::max_of: out.push_back({Labels(), 0, go_max(v[0][0].f, v[1][0].f), false}); return {};
    case Fn::min_of: out.push_back({Labels(), 0, go_min(v[0][0].f, v[1][0].f), false}); return {};
    case Fn::absent:
        if (v[0].empty()) out.push_back({labels_for_absent(*c.call.args[0]), 0, 1, false});
        return {};
    case Fn::sort:
    case Fn::sort_desc:
        out = v[0];
        sort_floats(out, id == Fn::sort_desc);
        return {};
    case Fn::sort_by_label:
    case Fn::sort_by_label_desc:
        out = v[0];
        sort_by_label(c.call, out, id == Fn::sort_by_label_desc);
        return {};
    case Fn::histogram_quantile:
        if (v[0].empty()) return {};
        warn_quantile(c, v[0][0].f);
        histogram_quantiles(c, in, {v[0][0].f}, out);
        return {};
    case Fn::histogram_quantiles: {
        std::vector<double> qs;
        for (size_t i = 2; i < v.size(); ++i) {
            warn_quantile(c, v[i][0].f);
            qs.push_back(v[i][0].f);
        }
        histogram_quantiles(c, in, qs, out);
        return {};
    }
    case Fn::histogram_fraction: {
        if (v[0].empty() || v[1].empty()) return {};
        gather_buckets(c, v[2]);
        for (auto& h : c.histograms) {
            if (h.buckets.empty()) continue;
            if (!c.delayed_name_removal) h.metric = drop_metadata(h.metric);
            out.push_back({h.metric, 0, bucket_fraction(v[0][0].f, v[1][0].f, h.buckets), true});
        }
        return {};
    }
    case Fn::histogram_avg: case Fn::histogram_count: case Fn::histogram_sum: case Fn::histogram_stddev:
    case Fn::histogram_stdvar:
        return {};  // they read native histograms only; float samples yield nothing, as in Prometheus
    default:
        // A range-vector function whose range argument was marked step
        // invariant (an @ inside a call that is not): Prometheus then calls
        // the function without its matrix, which yields nothing.
        for (size_t k = 0; k < c.call.func->arg_count; ++k)
            if (c.call.func->arg_types[k] == ValueType::matrix) return {};
        return "function " + std::string(c.call.func->name) + " cannot be evaluated here";
    }
}

}  // namespace mmwatch::promql
