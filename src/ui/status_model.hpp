// What the status page shows besides the history: plain rows the daemon
// fills from the parts it owns (the watcher, the OTLP store, the pusher,
// its own counters) just before a render, so the renderers here depend on
// no subsystem and are tested with made-up rows. Views are valid only for
// the render they were made for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mmwatch::ui {

// Rows per list (files, OTLP services) on the page: enough to find the
// broken one on a device, small enough that the page stays a few hundred
// KiB with 10,000 files. The rest is counted and linked to its JSON API.
inline constexpr size_t kMaxListRows = 100;

struct FileRow {
    std::string_view name;   // the label value of its series
    std::string_view path;   // the file name in --dir
    std::string_view state;  // files::state_name(): active, rejected, waiting, ...
    std::string_view reason; // empty when none
    std::string_view message;
    uint64_t metrics = 0;
    uint64_t size_bytes = 0;
    int64_t last_change_unix_ms = 0;  // 0: not known
    bool stale = false;
};

struct ServiceRow {
    std::string_view ns;
    std::string_view name;
    uint64_t points = 0;
    int64_t last_seen_unix_ms = 0;
    bool has_http = false;
    double requests_per_s = 0;
    double error_ratio = 0;
    double p99_s = 0;
};

struct PushRow {
    std::string_view url;
    std::string_view state;  // ok, retrying, idle (docs/status-page.md)
    uint64_t pending_samples = 0;
    uint64_t pending_bytes = 0;
    int64_t last_success_unix_ms = 0;
    uint64_t samples_sent = 0;
    uint64_t samples_failed = 0;   // in attempts that failed (retried)
    uint64_t samples_dropped = 0;  // every drop reason
    std::string_view last_rejection;
};

// One memory budget: what it holds against its limit (0: none).
struct Budget {
    std::string_view name;
    uint64_t used_bytes = 0;
    uint64_t limit_bytes = 0;
};

struct DaemonView {
    std::string_view version;
    int64_t start_unix_ms = 0;
    double lag_mean_s = 0;  // the tick timer's mean lateness since start
    double busy_ratio = 0;  // share of the last tick in callbacks
    std::vector<Budget> memory;
    uint64_t scrapes = 0;           // GET /metrics served
    uint64_t requests = 0;          // HTTP requests, every listener
    uint64_t http_errors = 0;       // answered >= 400
    uint64_t connections_open = 0;  // every listener
    uint64_t connections_shed = 0;
};

struct StatusInput {
    int64_t now_unix_ms = 0;
    DaemonView daemon;
    bool directory_present = true;
    std::vector<FileRow> files;  // at most kMaxListRows, by file name
    size_t files_total = 0;
    std::vector<ServiceRow> services;  // at most kMaxListRows
    size_t services_total = 0;
    std::vector<PushRow> push;
    uint64_t history_interval_ms = 0;
};

}  // namespace mmwatch::ui
