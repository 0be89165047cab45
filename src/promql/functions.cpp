#include "promql/functions.hpp"

#include <array>

namespace mmwatch::promql {

namespace {

constexpr ValueType S = ValueType::scalar;
constexpr ValueType V = ValueType::vector;
constexpr ValueType M = ValueType::matrix;
constexpr ValueType T = ValueType::string;
constexpr ValueType N = ValueType::none;

constexpr std::string_view kNeedsStartTimes = "needs sample start timestamps, which mmwatch does not store";
constexpr std::string_view kInfo = "the experimental info() function is not implemented";

// Sorted by name (find_function searches it by halves).
constexpr std::array kFunctions = {
    Function{"abs", Fn::abs, {V}, 1, 0, V, false, {}},
    Function{"absent", Fn::absent, {V}, 1, 0, V, false, {}},
    Function{"absent_over_time", Fn::absent_over_time, {M}, 1, 0, V, false, {}},
    Function{"acos", Fn::acos, {V}, 1, 0, V, false, {}},
    Function{"acosh", Fn::acosh, {V}, 1, 0, V, false, {}},
    Function{"asin", Fn::asin, {V}, 1, 0, V, false, {}},
    Function{"asinh", Fn::asinh, {V}, 1, 0, V, false, {}},
    Function{"atan", Fn::atan, {V}, 1, 0, V, false, {}},
    Function{"atanh", Fn::atanh, {V}, 1, 0, V, false, {}},
    Function{"avg_over_time", Fn::avg_over_time, {M}, 1, 0, V, false, {}},
    Function{"ceil", Fn::ceil, {V}, 1, 0, V, false, {}},
    Function{"changes", Fn::changes, {M}, 1, 0, V, false, {}},
    Function{"clamp", Fn::clamp, {V, S, S}, 3, 0, V, false, {}},
    Function{"clamp_max", Fn::clamp_max, {V, S}, 2, 0, V, false, {}},
    Function{"clamp_min", Fn::clamp_min, {V, S}, 2, 0, V, false, {}},
    Function{"cos", Fn::cos, {V}, 1, 0, V, false, {}},
    Function{"cosh", Fn::cosh, {V}, 1, 0, V, false, {}},
    Function{"count_over_time", Fn::count_over_time, {M}, 1, 0, V, false, {}},
    Function{"day_of_month", Fn::day_of_month, {V}, 1, 1, V, false, {}},
    Function{"day_of_week", Fn::day_of_week, {V}, 1, 1, V, false, {}},
    Function{"day_of_year", Fn::day_of_year, {V}, 1, 1, V, false, {}},
    Function{"days_in_month", Fn::days_in_month, {V}, 1, 1, V, false, {}},
    Function{"deg", Fn::deg, {V}, 1, 0, V, false, {}},
    Function{"delta", Fn::delta, {M}, 1, 0, V, false, {}},
    Function{"deriv", Fn::deriv, {M}, 1, 0, V, false, {}},
    Function{"double_exponential_smoothing", Fn::double_exponential_smoothing, {M, S, S}, 3, 0, V, true, {}},
    Function{"end", Fn::end, {N}, 0, 0, S, true, {}},
    Function{"exp", Fn::exp, {V}, 1, 0, V, false, {}},
    Function{"first_over_time", Fn::first_over_time, {M}, 1, 0, V, false, {}},
    Function{"floor", Fn::floor, {V}, 1, 0, V, false, {}},
    Function{"histogram_avg", Fn::histogram_avg, {V}, 1, 0, V, false, {}},
    Function{"histogram_count", Fn::histogram_count, {V}, 1, 0, V, false, {}},
    Function{"histogram_fraction", Fn::histogram_fraction, {S, S, V}, 3, 0, V, false, {}},
    Function{"histogram_quantile", Fn::histogram_quantile, {S, V}, 2, 0, V, false, {}},
    Function{"histogram_quantiles", Fn::histogram_quantiles, {V, T, S, S}, 4, 9, V, true, {}},
    Function{"histogram_stddev", Fn::histogram_stddev, {V}, 1, 0, V, false, {}},
    Function{"histogram_stdvar", Fn::histogram_stdvar, {V}, 1, 0, V, false, {}},
    Function{"histogram_sum", Fn::histogram_sum, {V}, 1, 0, V, false, {}},
    Function{"hour", Fn::hour, {V}, 1, 1, V, false, {}},
    Function{"idelta", Fn::idelta, {M}, 1, 0, V, false, {}},
    Function{"increase", Fn::increase, {M}, 1, 0, V, false, {}},
    Function{"info", Fn::info, {V, V}, 2, 1, V, true, kInfo},
    Function{"irate", Fn::irate, {M}, 1, 0, V, false, {}},
    Function{"label_join", Fn::label_join, {V, T, T, T}, 4, -1, V, false, {}},
    Function{"label_replace", Fn::label_replace, {V, T, T, T, T}, 5, 0, V, false, {}},
    Function{"last_over_time", Fn::last_over_time, {M}, 1, 0, V, false, {}},
    Function{"ln", Fn::ln, {V}, 1, 0, V, false, {}},
    Function{"log10", Fn::log10, {V}, 1, 0, V, false, {}},
    Function{"log2", Fn::log2, {V}, 1, 0, V, false, {}},
    Function{"mad_over_time", Fn::mad_over_time, {M}, 1, 0, V, true, {}},
    Function{"max_of", Fn::max_of, {S, S}, 2, 0, S, true, {}},
    Function{"max_over_time", Fn::max_over_time, {M}, 1, 0, V, false, {}},
    Function{"min_of", Fn::min_of, {S, S}, 2, 0, S, true, {}},
    Function{"min_over_time", Fn::min_over_time, {M}, 1, 0, V, false, {}},
    Function{"minute", Fn::minute, {V}, 1, 1, V, false, {}},
    Function{"month", Fn::month, {V}, 1, 1, V, false, {}},
    Function{"pi", Fn::pi, {N}, 0, 0, S, false, {}},
    Function{"predict_linear", Fn::predict_linear, {M, S}, 2, 0, V, false, {}},
    Function{"present_over_time", Fn::present_over_time, {M}, 1, 0, V, false, {}},
    Function{"quantile_over_time", Fn::quantile_over_time, {S, M}, 2, 0, V, false, {}},
    Function{"rad", Fn::rad, {V}, 1, 0, V, false, {}},
    Function{"range", Fn::range, {N}, 0, 0, S, true, {}},
    Function{"rate", Fn::rate, {M}, 1, 0, V, false, {}},
    Function{"resets", Fn::resets, {M}, 1, 0, V, false, {}},
    Function{"round", Fn::round, {V, S}, 2, 1, V, false, {}},
    Function{"scalar", Fn::scalar, {V}, 1, 0, S, false, {}},
    Function{"sgn", Fn::sgn, {V}, 1, 0, V, false, {}},
    Function{"sin", Fn::sin, {V}, 1, 0, V, false, {}},
    Function{"sinh", Fn::sinh, {V}, 1, 0, V, false, {}},
    Function{"sort", Fn::sort, {V}, 1, 0, V, false, {}},
    Function{"sort_by_label", Fn::sort_by_label, {V, T}, 2, -1, V, true, {}},
    Function{"sort_by_label_desc", Fn::sort_by_label_desc, {V, T}, 2, -1, V, true, {}},
    Function{"sort_desc", Fn::sort_desc, {V}, 1, 0, V, false, {}},
    Function{"sqrt", Fn::sqrt, {V}, 1, 0, V, false, {}},
    Function{"start", Fn::start, {N}, 0, 0, S, true, {}},
    Function{"start_timestamp", Fn::start_timestamp, {V}, 1, 0, V, true, kNeedsStartTimes},
    Function{"stddev_over_time", Fn::stddev_over_time, {M}, 1, 0, V, false, {}},
    Function{"stdvar_over_time", Fn::stdvar_over_time, {M}, 1, 0, V, false, {}},
    Function{"step", Fn::step, {N}, 0, 0, S, true, {}},
    Function{"sum_over_time", Fn::sum_over_time, {M}, 1, 0, V, false, {}},
    Function{"tan", Fn::tan, {V}, 1, 0, V, false, {}},
    Function{"tanh", Fn::tanh, {V}, 1, 0, V, false, {}},
    Function{"time", Fn::time, {N}, 0, 0, S, false, {}},
    Function{"timestamp", Fn::timestamp, {V}, 1, 0, V, false, {}},
    Function{"ts_of_first_over_time", Fn::ts_of_first_over_time, {M}, 1, 0, V, true, {}},
    Function{"ts_of_last_over_time", Fn::ts_of_last_over_time, {M}, 1, 0, V, true, {}},
    Function{"ts_of_max_over_time", Fn::ts_of_max_over_time, {M}, 1, 0, V, true, {}},
    Function{"ts_of_min_over_time", Fn::ts_of_min_over_time, {M}, 1, 0, V, true, {}},
    Function{"vector", Fn::vector, {S}, 1, 0, V, false, {}},
    Function{"year", Fn::year, {V}, 1, 1, V, false, {}},
};

constexpr bool sorted() {
    for (size_t i = 1; i < kFunctions.size(); ++i)
        if (!(kFunctions[i - 1].name < kFunctions[i].name)) return false;
    return true;
}
static_assert(sorted(), "kFunctions must stay sorted by name");

}  // namespace

std::string_view documented_type(ValueType t) noexcept {
    switch (t) {
    case ValueType::none: return "none";
    case ValueType::scalar: return "scalar";
    case ValueType::vector: return "instant vector";
    case ValueType::matrix: return "range vector";
    case ValueType::string: return "string";
    }
    return "none";
}

const Function* find_function(std::string_view name) noexcept {
    size_t lo = 0, hi = kFunctions.size();
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (kFunctions[mid].name < name) lo = mid + 1;
        else hi = mid;
    }
    return lo < kFunctions.size() && kFunctions[lo].name == name ? &kFunctions[lo] : nullptr;
}

bool at_modifier_unsafe(Fn f) noexcept {
    switch (f) {
    case Fn::days_in_month: case Fn::day_of_month: case Fn::day_of_week: case Fn::day_of_year:
    case Fn::end: case Fn::hour: case Fn::minute: case Fn::month: case Fn::year:
    case Fn::predict_linear: case Fn::range: case Fn::start: case Fn::step: case Fn::time:
    case Fn::timestamp:
        return true;
    default:
        return false;
    }
}

}  // namespace mmwatch::promql
