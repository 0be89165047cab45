// The function list of Prometheus 3 (parser/functions.go): names, argument
// and return types, which are experimental (behind
// --enable-feature=promql-experimental-functions in Prometheus), and which
// mmwatch cannot evaluate (they need native histograms or start
// timestamps, which mmwatch does not store).
#pragma once

#include <cstdint>
#include <string_view>

namespace mmwatch::promql {

enum class ValueType : uint8_t { none, scalar, vector, matrix, string };

// "scalar", "instant vector", "range vector", "string" as Prometheus names
// types in messages.
[[nodiscard]] std::string_view documented_type(ValueType t) noexcept;

enum class Fn : uint8_t {
    abs, absent, absent_over_time, acos, acosh, asin, asinh, atan, atanh, avg_over_time, ceil,
    changes, clamp, clamp_max, clamp_min, cos, cosh, count_over_time, days_in_month,
    day_of_month, day_of_week, day_of_year, deg, delta, deriv, double_exponential_smoothing,
    end, exp, first_over_time, floor, histogram_avg, histogram_count, histogram_fraction,
    histogram_quantile, histogram_quantiles, histogram_stddev, histogram_stdvar, histogram_sum,
    hour, idelta, increase, info, irate, label_join, label_replace, last_over_time, ln, log10,
    log2, mad_over_time, max_of, max_over_time, min_of, min_over_time, minute, month, pi,
    predict_linear, present_over_time, quantile_over_time, rad, range, rate, resets, round,
    scalar, sgn, sin, sinh, sort, sort_by_label, sort_by_label_desc, sort_desc, sqrt, start,
    start_timestamp, stddev_over_time, stdvar_over_time, step, sum_over_time, tan, tanh, time,
    timestamp, ts_of_first_over_time, ts_of_last_over_time, ts_of_max_over_time,
    ts_of_min_over_time, vector, year,
};

struct Function {
    std::string_view name;
    Fn id;
    ValueType arg_types[5];
    uint8_t arg_count;  // entries of arg_types used
    int8_t variadic;    // 0: exact; n > 0: up to n more of the last type; -1: any number
    ValueType return_type;
    bool experimental;
    // Why mmwatch refuses to evaluate it, or empty when it evaluates it.
    std::string_view unsupported;
};

// The function named `name`, or null.
[[nodiscard]] const Function* find_function(std::string_view name) noexcept;

// Functions whose value depends on the evaluation time even over step
// invariant arguments (Prometheus's AtModifierUnsafeFunctions).
[[nodiscard]] bool at_modifier_unsafe(Fn f) noexcept;

}  // namespace mmwatch::promql
