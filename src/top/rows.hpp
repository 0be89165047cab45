// What each view lists, derived from the parsed answers: the series rows
// after the filter and the sort, the push targets and the daemon's figures
// out of the self-metrics, and everything a poll has gathered (Snapshot).
// Pure: the poller fills a Snapshot, the layout reads it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "top/keys.hpp"
#include "top/model.hpp"

namespace mmwatch::top {

// A series' last minutes from the history, and its rate when a counter.
struct Spark {
    std::vector<double> values;  // per-second rates for counters, values otherwise
    double rate = 0;
    bool has_rate = false;
    double fetched_at = 0;       // unix seconds
};

// One remote_write URL, from the mmwatch_remote_write_* self-metrics.
struct PushTarget {
    std::string url;
    double pending = 0, last_success = 0, sent = 0, failed = 0, dropped = 0, requests = 0, spool = 0;
};

// One file's state and when this client saw it change (0: unchanged since
// the client started).
struct SourceSeen {
    std::string state;
    double changed_at = 0;
};

struct Snapshot {
    std::string url;
    bool connected = false;
    std::string error;              // why the last poll failed (disconnected)
    std::string query_error;        // the server refused a query (e.g. the filter)
    double polled_at = 0;           // unix seconds of the last good poll
    std::vector<Series> series;     // the listing
    std::map<std::string, Spark> sparks;  // by selector_of(series)
    std::vector<Source> sources;
    std::map<std::string, SourceSeen> seen;  // by source path
    std::vector<Service> services;
    std::vector<PushTarget> push;
    std::vector<std::pair<std::string, std::string>> daemon;  // (figure, value)
    std::string focus_selector;     // the focused series and its chart
    RangeSeries focus;
};

// The series view's rows: the listing narrowed by a substring filter (a
// selector filter was applied by the server), sorted by the state's key.
std::vector<const Series*> series_rows(const State& state, const Snapshot& snap);

// How many rows the current view lists.
size_t row_count(const State& state, const Snapshot& snap);

// The push targets out of an instant query of mmwatch_remote_write_*.
std::vector<PushTarget> push_targets(const std::vector<Series>& self_metrics);

// The daemon's figures out of an instant query of its self-metrics and
// the mean loop lag over the last minute (NaN when unknown).
std::vector<std::pair<std::string, std::string>> daemon_figures(const std::vector<Series>& self_metrics,
                                                                double mean_lag_seconds);

// Files in trouble first (rejected, pending, stale, then active), each
// group in the server's order (by file name): a misbehaving file is at
// the top without a filter.
void order_problems_first(std::vector<Source>& sources);

// Notes, per path, when a file's state differs from the last poll.
void note_source_changes(std::map<std::string, SourceSeen>& seen, const std::vector<Source>& sources, double now,
                         bool first_poll);

// The text of series the substring filter and the sort look at.
std::string series_text(const Series& s);

}  // namespace mmwatch::top
