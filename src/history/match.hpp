// The series selectors GET /api/v1/export takes in match[], in the
// equality form only until the PromQL parser (src/promql/) is on main:
//   name   name{l="v",...}   {__name__="name",l="v",...}
// with Prometheus' string escapes (\" \\ \n \t) in values. l="" matches a
// series without the label, as in PromQL. A selector must name at least
// one label with a non-empty value (as Prometheus requires), so it never
// selects every series by accident. Pure: text in, series out.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "history/history_store.hpp"

namespace mmwatch::history {

struct Equality {
    std::string name;
    std::string value;
};

// Parses one selector; false with a one-line `error` if it is not one.
[[nodiscard]] bool parse_equality_selector(std::string_view text, std::vector<Equality>& out, std::string& error);

// Appends the live series every matcher of one selector holds for,
// ascending.
void select_series(Store& store, const std::vector<Equality>& matchers, std::vector<SeriesId>& out);

// The union of every selector's series, ascending.
void select_union(Store& store, const std::vector<std::vector<Equality>>& selectors, std::vector<SeriesId>& out);

}  // namespace mmwatch::history
