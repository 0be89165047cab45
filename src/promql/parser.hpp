// PromQL's parser: text to syntax tree, then Prometheus's type checks
// (checkAST). A pure function: no storage, no clock. Errors carry the
// position and wording Prometheus gives ("1:5: parse error: unexpected
// end of input") where the grammar allows; the first error is reported.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "promql/ast.hpp"
#include "promql/label_set.hpp"

namespace mmwatch::promql {

// Experimental syntax Prometheus keeps behind feature flags, each off by
// default as in Prometheus; the conformance runner turns them on as
// Prometheus's own test engine does.
struct ParseOptions {
    bool experimental_functions = false;    // promql-experimental-functions
    bool duration_expressions = false;      // promql-duration-expr
    bool extended_range_selectors = false;  // promql-extended-range-selectors (anchored, smoothed)
    bool fill_modifiers = false;            // promql-binop-fill-modifiers
};

struct ParseError {
    PosRange pos;
    std::string message;
    // "line:col: parse error: message" over `query`, as Prometheus prints it.
    [[nodiscard]] std::string to_string(std::string_view query) const;
};

struct Parsed {
    ExprPtr expr;          // null when error is set
    ParseError error;
    [[nodiscard]] bool ok() const noexcept { return expr != nullptr; }
};

// Nesting deeper than this is refused: the checks, the printer and the
// tree's destructor recurse on the stack. Far beyond hand-written queries.
inline constexpr int kMaxParseDepth = 500;

[[nodiscard]] Parsed parse(std::string_view query, const ParseOptions& opts = {});

// A series' labels written as `name{a="b"}` or `{a="b"}` (Prometheus's
// ParseMetric), used for test data and expected results.
[[nodiscard]] bool parse_metric(std::string_view text, Labels& out, std::string& error);

// A selector `name{a=~"b"}` to its matchers (Prometheus's
// ParseMetricSelector), for the API's match[] parameters.
[[nodiscard]] bool parse_selector(std::string_view text, std::vector<Matcher>& out, std::string& error);

// Prometheus's checkAST over a parsed tree; the first problem, if any.
[[nodiscard]] bool check_tree(Expr& e, std::string_view query, ParseError& error);

}  // namespace mmwatch::promql
