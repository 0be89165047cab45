#include "top/rows.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/human.hpp"

namespace mmwatch::top {
namespace {

const std::string* label(const Series& s, std::string_view name) {
    for (const auto& [k, v] : s.labels)
        if (k == name)
            return &v;
    return nullptr;
}

// A number for sorting: NaN and unknown rates last.
double sort_number(double v, bool known) {
    return known && !std::isnan(v) ? v : -std::numeric_limits<double>::infinity();
}

PushTarget& target(std::vector<PushTarget>& out, const std::string& url) {
    for (auto& t : out)
        if (t.url == url)
            return t;
    out.push_back(PushTarget{url});
    return out.back();
}

}  // namespace

std::string series_text(const Series& s) {
    return selector_of(s.name, s.labels);
}

std::vector<const Series*> series_rows(const State& state, const Snapshot& snap) {
    // Each row's text made once: the filter, the name order and the rate look-up all use it.
    struct Row {
        std::string text;
        const Series* series;
        double rate;
    };
    std::vector<Row> rows;
    const bool substring = !state.filter.empty() && !filter_is_selector(state.filter);
    for (const auto& s : snap.series) {
        std::string text = series_text(s);
        if (substring && text.find(state.filter) == std::string::npos)
            continue;
        auto spark = snap.sparks.find(text);
        const double rate = spark == snap.sparks.end() ? sort_number(0, false)
                                                       : sort_number(spark->second.rate, spark->second.has_rate);
        rows.push_back(Row{std::move(text), &s, rate});
    }
    // By name always, then (stable) by the key, largest first: equal values stay in name order.
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.text < b.text; });
    if (state.sort == SortKey::value)
        std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
            return sort_number(a.series->value, true) > sort_number(b.series->value, true);
        });
    if (state.sort == SortKey::rate)
        std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.rate > b.rate; });
    std::vector<const Series*> out;
    out.reserve(rows.size());
    for (const auto& r : rows)
        out.push_back(r.series);
    if (state.descending)
        std::reverse(out.begin(), out.end());
    return out;
}

size_t row_count(const State& state, const Snapshot& snap) {
    switch (state.view) {
    case View::series: return series_rows(state, snap).size();
    case View::files: return snap.sources.size();
    case View::otlp: return snap.services.size();
    case View::push: return snap.push.size();
    case View::daemon: return snap.daemon.size();
    }
    return 0;
}

std::vector<PushTarget> push_targets(const std::vector<Series>& self_metrics) {
    std::vector<PushTarget> out;
    for (const auto& s : self_metrics) {
        const std::string* url = label(s, "url");
        if (!url)
            continue;
        PushTarget& t = target(out, *url);
        const std::string_view n = s.name;
        if (n == "mmwatch_remote_write_pending_samples") t.pending = s.value;
        else if (n == "mmwatch_remote_write_last_success_timestamp_seconds") t.last_success = s.value;
        else if (n == "mmwatch_remote_write_samples_sent_total") t.sent = s.value;
        else if (n == "mmwatch_remote_write_samples_failed_total") t.failed = s.value;
        else if (n == "mmwatch_remote_write_samples_dropped_total") t.dropped += s.value;  // one series per reason
        else if (n == "mmwatch_remote_write_requests_total") t.requests = s.value;
        else if (n == "mmwatch_remote_write_spool_samples") t.spool = s.value;
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.url < b.url; });
    return out;
}

std::vector<std::pair<std::string, std::string>> daemon_figures(const std::vector<Series>& self_metrics,
                                                                double mean_lag_seconds) {
    std::vector<std::pair<std::string, std::string>> out;
    auto add = [&](std::string what, std::string value) { out.emplace_back(std::move(what), std::move(value)); };
    add("loop lag, mean over 1m", std::isnan(mean_lag_seconds) ? "-" : base::format_number(mean_lag_seconds * 1000) + " ms");
    double scrapes = 0;
    for (const auto& s : self_metrics) {
        const std::string_view n = s.name;
        if (n == "mmwatch_loop_busy_ratio") add("loop busy", base::format_number(s.value * 100) + " %");
        else if (n == "process_resident_memory_bytes") add("memory: resident", base::format_bytes(s.value));
        else if (n == "mmwatch_mapped_bytes") add("memory: files mapped", base::format_bytes(s.value));
        else if (n == "mmwatch_history_bytes") add("memory: history " + (label(s, "tier") ? *label(s, "tier") : std::string()), base::format_bytes(s.value));
        else if (n == "mmwatch_history_index_bytes") add("memory: history index", base::format_bytes(s.value));
        else if (n == "mmwatch_history_budget_bytes") add("memory: history budget", base::format_bytes(s.value));
        else if (n == "mmwatch_http2_request_memory_bytes") add("memory: HTTP/2 requests", base::format_bytes(s.value));
        else if (n == "mmwatch_scrapes_total") scrapes += s.value;
        else if (n == "mmwatch_http_connections") add("connections: open", base::format_number(s.value));
        else if (n == "mmwatch_listener_connections") add("connections: " + (label(s, "listener") ? *label(s, "listener") : std::string()), base::format_number(s.value));
        else if (n == "mmwatch_http_requests_total") add("requests answered", base::format_number(s.value));
        else if (n == "mmwatch_file_series") add("series from files", base::format_number(s.value));
        else if (n == "mmwatch_history_series") add("series in history", base::format_number(s.value));
    }
    add("scrapes of /metrics", base::format_number(scrapes));
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

void order_problems_first(std::vector<Source>& sources) {
    auto rank = [](const Source& s) { return s.state == "rejected" ? 0 : s.state == "pending" ? 1 : s.stale ? 2 : 3; };
    std::stable_sort(sources.begin(), sources.end(), [&](const Source& a, const Source& b) { return rank(a) < rank(b); });
}

void note_source_changes(std::map<std::string, SourceSeen>& seen, const std::vector<Source>& sources, double now,
                         bool first_poll) {
    std::map<std::string, SourceSeen> next;
    for (const auto& s : sources) {
        auto it = seen.find(s.path);
        SourceSeen entry{s.state, 0};
        if (it != seen.end())
            entry.changed_at = it->second.state == s.state ? it->second.changed_at : now;
        else if (!first_poll)
            entry.changed_at = now;  // a new file appeared
        next.emplace(s.path, entry);
    }
    seen.swap(next);
}

}  // namespace mmwatch::top
