// What the aggregations share: grouping by/without, the scalar parameter
// (Prometheus's fParams) and stepping through the input series. Private
// to src/promql.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "promql/ast.hpp"
#include "promql/value.hpp"

namespace mmwatch::promql {

// The key a series groups under for by (...) or without (...).
[[nodiscard]] std::string grouping_key(const Labels& ls, const std::vector<std::string>& grouping, bool without);
// The labels of that group: the by-labels, or all but the without-labels
// and __name__.
[[nodiscard]] Labels grouping_labels(const Labels& ls, const std::vector<std::string>& grouping, bool without);

struct Params {
    std::vector<double> values;
    bool constant = false;
    double min = std::numeric_limits<double>::max();
    double max = -std::numeric_limits<double>::max();
    bool any_nan = false;
    size_t next_index = 0;
    // The parameter at the next step (0 past the end, as Prometheus).
    double next() {
        if (constant) return values[0];
        return next_index < values.size() ? values[next_index++] : 0;
    }
};
[[nodiscard]] Params make_params(std::vector<double> values, const Expr* param);

// The point of `s` at `ts`, if it has one; `cursor` moves forward only.
[[nodiscard]] inline bool next_value(const Series& s, size_t& cursor, int64_t ts, double& f) noexcept {
    while (cursor < s.floats.size() && s.floats[cursor].t < ts) ++cursor;
    if (cursor >= s.floats.size() || s.floats[cursor].t != ts) return false;
    f = s.floats[cursor++].f;
    return true;
}

}  // namespace mmwatch::promql
