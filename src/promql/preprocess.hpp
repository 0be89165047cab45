// What Prometheus does to a tree between parsing and evaluation
// (PreprocessExpr, setOffsetForAtModifier, FindMinMaxTime): start(),
// end(), range() and step() folded into numbers, duration expressions
// computed, @ start()/end() resolved, step-invariant subtrees marked,
// offsets adjusted for @, and each selector's time range worked out.
// Private to src/promql.
#pragma once

#include <cstdint>
#include <string>

#include "promql/ast.hpp"

namespace mmwatch::promql {

// All of it, for a query over [start_ms, end_ms] every step_ms (0 for an
// instant query). False with a message when a duration expression is
// invalid (zero, negative, NaN, out of range).
[[nodiscard]] bool preprocess(ExprPtr& root, int64_t start_ms, int64_t end_ms, int64_t step_ms,
                              int64_t lookback_ms, std::string& error);

// Offsets of the selectors and subqueries with @ under `e`, relative to
// an evaluation that starts at `eval_time_ms` (setOffsetForAtModifier).
void set_offset_for_at_modifier(int64_t eval_time_ms, Expr& e);

}  // namespace mmwatch::promql
