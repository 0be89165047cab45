// The series of the history store a match[] selector picks, for
// GET /api/v1/export: PromQL selectors (promql::parse_selector, any of
// =, !=, =~, !~), candidates from the postings of the equality matchers
// (every series when there is none), each checked against every matcher
// (an absent label matches as ""). Here and not in history/, which knows
// nothing of PromQL.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "history/history_store.hpp"
#include "promql/matcher.hpp"

namespace mmwatch::daemon {

// Parses one selector; false with Prometheus' message when it is not one,
// or when every matcher matches the empty string (it would select every
// series: Prometheus refuses such a selector too).
[[nodiscard]] bool parse_export_selector(std::string_view text, std::vector<promql::Matcher>& out, std::string& error);

// The union of what each selector picks, ascending, each series once.
void select_history(history::Store& store, const std::vector<std::vector<promql::Matcher>>& selectors,
                    std::vector<history::SeriesId>& out);

}  // namespace mmwatch::daemon
