#include "top/poller.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "base/limits.hpp"
#include "top/chart.hpp"

namespace mmwatch::top {
namespace {

// GETs a path; false when the server was not reached (the snapshot says so)
// or refused it (its message in query_error).
bool fetch(Client& client, Snapshot& snap, const std::string& path, std::string& body) {
    Answer a = client.get(path);
    if (!a.reached) {
        snap.connected = false;
        snap.error = a.error;
        return false;
    }
    snap.connected = true;
    if (a.status != 200) {
        std::vector<Series> ignored;
        // An API error carries its message in JSON; other answers (401, 429) have none to show.
        std::string message = parse_vector(a.body, ignored);
        const bool said = !message.empty() && message != "the answer is not JSON";
        snap.query_error = "HTTP " + std::to_string(a.status) + (said ? ": " + message : "");
        return false;
    }
    body = std::move(a.body);
    return true;
}

bool instant(Client& client, Snapshot& snap, const std::string& query, std::vector<Series>& out) {
    std::string body;
    if (!fetch(client, snap, "/api/v1/query?query=" + client.escape(query), body))
        return false;
    if (auto error = parse_vector(body, out); !error.empty()) {
        snap.query_error = error;
        return false;
    }
    return true;
}

bool range(Client& client, Snapshot& snap, const std::string& query, double now, unsigned seconds, unsigned step,
           std::vector<RangeSeries>& out) {
    char times[128];
    std::snprintf(times, sizeof times, "&start=%.3f&end=%.3f&step=%u", now - seconds, now, step);
    std::string body;
    if (!fetch(client, snap, "/api/v1/query_range?query=" + client.escape(query) + times, body))
        return false;
    if (auto error = parse_matrix(body, out); !error.empty()) {
        snap.query_error = error;
        return false;
    }
    return true;
}

Spark spark_of(const RangeSeries& r, double now) {
    Spark s;
    s.fetched_at = now;
    if (looks_like_counter(r.name)) {
        s.values = per_second(r.points);
        for (auto it = s.values.rbegin(); it != s.values.rend() && !s.has_rate; ++it)
            if (!std::isnan(*it)) {
                s.rate = *it;
                s.has_rate = true;
            }
    } else {
        s.values = values_of(r.points);
    }
    return s;
}

void poll_series(Client& client, const State& state, Snapshot& snap, size_t page, double now) {
    std::vector<Series> listing;
    const std::string selector = filter_is_selector(state.filter) ? state.filter : kDefaultSelector;
    if (!instant(client, snap, selector, listing))
        return;
    snap.series = std::move(listing);
    const auto rows = series_rows(state, snap);
    std::map<std::string, Spark> sparks;
    for (size_t i = state.scroll; i < rows.size() && i < state.scroll + page; ++i) {
        const std::string sel = series_text(*rows[i]);
        auto old = snap.sparks.find(sel);
        if (old != snap.sparks.end() && now - old->second.fetched_at < base::kTopSparkStepSeconds) {
            sparks.insert(*old);
            continue;
        }
        std::vector<RangeSeries> r;
        if (!range(client, snap, sel, now, base::kTopSparkWindowSeconds, base::kTopSparkStepSeconds, r))
            return;
        if (!r.empty())
            sparks[sel] = spark_of(r[0], now);
    }
    snap.sparks = std::move(sparks);  // rows off screen are forgotten: bounded by the page
    if (state.focused && state.cursor < rows.size()) {
        const unsigned seconds = kFocusRangesSeconds[state.focus_range];
        const unsigned step = std::max(base::kTopSparkStepSeconds, seconds / 200);
        snap.focus_selector = series_text(*rows[state.cursor]);
        std::vector<RangeSeries> r;
        if (range(client, snap, snap.focus_selector, now, seconds, step, r))
            snap.focus = r.empty() ? RangeSeries{} : r[0];
    }
}

void poll_daemon(Client& client, Snapshot& snap) {
    std::vector<Series> figures, lag;
    const char* names =
        "mmwatch_loop_busy_ratio|process_resident_memory_bytes|mmwatch_mapped_bytes|mmwatch_history_bytes|"
        "mmwatch_history_index_bytes|mmwatch_history_budget_bytes|mmwatch_http2_request_memory_bytes|"
        "mmwatch_scrapes_total|mmwatch_http_connections|mmwatch_listener_connections|mmwatch_http_requests_total|"
        "mmwatch_file_series|mmwatch_history_series";
    if (!instant(client, snap, std::string("{__name__=~\"") + names + "\"}", figures))
        return;
    double mean_lag = std::numeric_limits<double>::quiet_NaN();
    if (instant(client, snap,
                "sum(rate(mmwatch_loop_lag_seconds_sum[1m])) / sum(rate(mmwatch_loop_lag_seconds_count[1m]))", lag) &&
        !lag.empty())
        mean_lag = lag[0].value;
    snap.daemon = daemon_figures(figures, mean_lag);
}

}  // namespace

void poll(Client& client, const State& state, Snapshot& snap, size_t page, double now) {
    snap.query_error.clear();
    std::string body;
    std::vector<Series> series;
    switch (state.view) {
    case View::series:
        poll_series(client, state, snap, page, now);
        break;
    case View::files:
        if (fetch(client, snap, "/api/v1/sources", body)) {
            std::vector<Source> sources;
            snap.query_error = parse_sources(body, sources);
            order_problems_first(sources);
            note_source_changes(snap.seen, sources, now, snap.seen.empty() && snap.sources.empty());
            snap.sources = std::move(sources);
        }
        break;
    case View::otlp:
        if (fetch(client, snap, "/api/v1/services", body)) {
            std::vector<Service> services;
            snap.query_error = parse_services(body, services);
            snap.services = std::move(services);
        }
        break;
    case View::push:
        if (instant(client, snap, R"({__name__=~"mmwatch_remote_write_.*"})", series))
            snap.push = push_targets(series);
        break;
    case View::daemon:
        poll_daemon(client, snap);
        break;
    }
    if (snap.connected)
        snap.polled_at = now;
}

}  // namespace mmwatch::top
