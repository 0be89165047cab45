// The functions of the language (Prometheus's functions.go) as the
// evaluator calls them: instant-vector functions once per step over that
// step's vectors, range-vector functions once per series and step over
// the series' window. Private to src/promql.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "promql/derived_labels.hpp"
#include "promql/evaluator.hpp"
#include "promql/quantile.hpp"

namespace mmwatch::promql {

// One call site's state across steps (histogram_quantile's bucket sets,
// the input series' label sets with the name dropped).
struct InstantCall {
    const Call& call;
    bool delayed_name_removal;
    Annotations& annotations;
    DerivedLabels& dropped;
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

// True for the functions that map each sample of their vector argument
// alone (math, dates, round, clamp*, timestamp): a step of theirs can be
// cut anywhere.
[[nodiscard]] bool is_elementwise(const InstantCall& c);
// Appends the results of samples [from, to) of the vector argument at one
// step, in order.
void call_elementwise(InstantCall& c, const StepInput& in, size_t from, size_t to, Vector& out);

// The value of a range-vector function over one window, or false when it
// has none. `error` is set when the query must fail.
bool call_range(Fn f, const RangeWindow& w, double& out, Annotations& annotations, std::string& error);

// The labels absent() and absent_over_time() return: the equality
// matchers of their selector argument.
[[nodiscard]] Labels labels_for_absent(const Expr& arg);

}  // namespace mmwatch::promql
