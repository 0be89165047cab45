// The functions of the language (Prometheus's functions.go) as the
// evaluator calls them: instant-vector functions once per step over that
// step's vectors, range-vector functions once per series and step over
// the series' window. Private to src/promql.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "promql/evaluator.hpp"
#include "promql/quantile.hpp"

namespace mmwatch::promql {

// One call site's state across steps (histogram_quantile's bucket sets).
struct InstantCall {
    const Call& call;
    bool delayed_name_removal;
    Annotations& annotations;
    struct Histogram {
        Labels metric;
        std::vector<Bucket> buckets;
    };
    std::unordered_map<std::string, size_t> histogram_index;
    std::vector<Histogram> histograms;
};

// Appends the function's result at one step to `out`; an error message
// when the query must fail.
std::string call_instant(InstantCall& c, const StepInput& in, Vector& out);

// The value of a range-vector function over one window, or false when it
// has none. `error` is set when the query must fail.
bool call_range(Fn f, const RangeWindow& w, double& out, Annotations& annotations, std::string& error);

// The labels absent() and absent_over_time() return: the equality
// matchers of their selector argument.
[[nodiscard]] Labels labels_for_absent(const Expr& arg);

}  // namespace mmwatch::promql
