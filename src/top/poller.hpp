// One poll of a running mmwatch for the view on screen: the requests that
// view needs and no others, their answers parsed into the Snapshot. The
// series view asks one instant query for the listing and range queries
// for the rows on screen only, each at most once per
// base::kTopSparkStepSeconds (the history has nothing newer sooner).
#pragma once

#include "top/client.hpp"
#include "top/keys.hpp"
#include "top/rows.hpp"

namespace mmwatch::top {

// The listing's selector when no selector filter is set: every series
// but mmwatch's own (the daemon and push views show those).
inline constexpr const char* kDefaultSelector = R"({__name__=~".+",__name__!~"mmwatch_.*|process_.*"})";

// Polls for `state`'s view; `page` is how many rows are on screen. A
// server that cannot be reached leaves the last data and marks the
// snapshot disconnected.
void poll(Client& client, const State& state, Snapshot& snap, size_t page, double now);

}  // namespace mmwatch::top
