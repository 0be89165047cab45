#include "daemon/self_metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "prom/text.hpp"

namespace mmwatch {

namespace {

struct Family {
    std::string_view name;
    std::string_view type;
    std::string_view help;
};

constexpr Family kSources{"mmwatch_sources", "gauge", "Files in the watched directory by state."};
constexpr Family kRejections{"mmwatch_source_rejections_total", "counter", "Files rejected, by reason."};
constexpr Family kReadFaults{"mmwatch_read_faults_total", "counter", "Faults (SIGBUS) while copying mapped data."};
constexpr Family kConflicts{"mmwatch_type_conflicts_total", "counter",
                            "Series dropped because their family has another type or a reserved name."};
constexpr Family kDuplicates{"mmwatch_duplicate_series_total", "counter",
                             "Series dropped as duplicates: a name twice in one file, or two files with one name label."};
constexpr Family kLimits{"mmwatch_limit_hits_total", "counter", "Times a limit was reached, by limit."};
constexpr Family kEvents{"mmwatch_events_total", "counter", "Events recorded, by kind."};
constexpr Family kEventErrors{"mmwatch_event_log_write_errors_total", "counter", "Failed writes to --event-log."};
constexpr Family kStale{"mmwatch_stale_sources", "gauge", "Active files whose data has not changed for --stale-after."};
constexpr Family kRescans{"mmwatch_rescans_total", "counter", "Full rescans of the watched directory."};
constexpr Family kRequests{"mmwatch_http_requests_total", "counter", "HTTP requests answered."};
constexpr Family kHttpErrors{"mmwatch_http_errors_total", "counter", "HTTP responses with status 400 or above."};
constexpr Family kScrapes{"mmwatch_scrapes_total", "counter", "GET /metrics requests served."};
constexpr Family kRenders{"mmwatch_renders_total", "counter", "Expositions rendered (at most one per snapshot)."};
constexpr Family kConnections{"mmwatch_http_connections", "gauge", "Open HTTP connections."};
constexpr Family kSeries{"mmwatch_file_series", "gauge", "Series exposed from files."};
constexpr Family kMapped{"mmwatch_mapped_bytes", "gauge", "Bytes of files mapped."};
constexpr Family kWaitingForFds{"mmwatch_files_waiting_for_fds", "gauge",
                                "Files not opened for lack of file descriptors (RLIMIT_NOFILE); retried every tick."};
constexpr Family kDiskBacked{"mmwatch_directory_disk_backed", "gauge",
                             "1 when the watched directory is not on tmpfs or ramfs (producers may stall on writeback)."};
constexpr Family kWatchFailures{"mmwatch_inotify_watch_failures_total", "counter",
                                "Times the recovered directory could not be watched (retried next tick)."};
constexpr Family kListenerConnections{"mmwatch_listener_connections", "gauge", "Open HTTP connections, by listener."};
constexpr Family kListenerRefused{"mmwatch_listener_refused_connections_total", "counter",
                                  "Connections refused at the listener's cap (--max-connections), by listener."};
constexpr Family kShed{"mmwatch_http_shed_connections_total", "counter",
                       "Connections closed at the cap to make room for a new one, by reason: idle or slow."};
constexpr Family kAllocFailures{"mmwatch_allocation_failures_total", "counter",
                                "Times memory ran out, by where: the request was answered 503, the render or tick skipped."};
constexpr Family kLoopLag{"mmwatch_loop_lag_seconds", "histogram",
                          "How late the snapshot tick ran: time callbacks held the loop past its turn."};
constexpr Family kLoopBusy{"mmwatch_loop_busy_ratio", "gauge",
                           "Share of the last tick interval the loop spent running callbacks (not waiting)."};
constexpr Family kBuildInfo{"mmwatch_build_info", "gauge", "Build information; always 1."};
constexpr Family kRss{"process_resident_memory_bytes", "gauge", "Resident memory size in bytes."};
constexpr Family kCpu{"process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds."};
constexpr Family kFds{"process_open_fds", "gauge", "Number of open file descriptors."};
constexpr Family kMaxFds{"process_max_fds", "gauge", "Maximum number of open file descriptors."};
constexpr Family kStart{"process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds."};

constexpr const Family* kAll[] = {&kSources, &kRejections, &kReadFaults, &kConflicts, &kDuplicates, &kLimits,
                                  &kEvents, &kEventErrors, &kStale, &kRescans, &kRequests, &kHttpErrors,
                                  &kScrapes, &kRenders, &kConnections, &kSeries, &kMapped, &kWaitingForFds, &kDiskBacked, &kWatchFailures,
                                  &kListenerConnections, &kListenerRefused, &kShed, &kAllocFailures, &kLoopLag, &kLoopBusy, &kBuildInfo,
                                  &kRss, &kCpu, &kFds, &kMaxFds, &kStart};
// Rendered by the metrics page (it needs the sources), reserved here.
constexpr std::string_view kSourceStale = "mmwatch_source_stale";

void head(std::string& out, const Family& f) { prom::append_head(out, f.name, f.type, f.help); }

void sample(std::string& out, const Family& f, std::string_view label, std::string_view value, uint64_t v) {
    prom::append_series(out, f.name, label, value);
    prom::append_int(out, v);
    out += '\n';
}

void single(std::string& out, const Family& f, uint64_t v) {
    head(out, f);
    sample(out, f, {}, {}, v);
}

struct ProcessStats {
    uint64_t rss_bytes = 0;
    double cpu_seconds = 0;
    uint64_t open_fds = 0;
    uint64_t max_fds = 0;
};

ProcessStats read_process_stats() {
    ProcessStats s;
    const long page = sysconf(_SC_PAGESIZE);
    const long ticks = sysconf(_SC_CLK_TCK);
    if (FILE* f = fopen("/proc/self/stat", "r")) {
        char buf[1024];
        const size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        // Fields after the command name, which is in parentheses and may
        // hold spaces: state is field 3, utime 14, stime 15, rss 24.
        if (const char* p = strrchr(buf, ')')) {
            unsigned long utime = 0, stime = 0;
            long rss = 0;
            if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d %*u %*u %ld",
                       &utime, &stime, &rss) == 3) {
                s.cpu_seconds = double(utime + stime) / double(ticks);
                s.rss_bytes = uint64_t(rss) * uint64_t(page);
            }
        }
    }
    if (DIR* d = opendir("/proc/self/fd")) {
        while (const dirent* e = readdir(d)) {
            if (e->d_name[0] != '.') ++s.open_fds;
        }
        closedir(d);
        if (s.open_fds) --s.open_fds;  // the directory stream's own fd
    }
    s.max_fds = uint64_t(sysconf(_SC_OPEN_MAX));
    return s;
}


struct LimitHit {
    std::string_view name;
    uint64_t hits;
};

// The listeners' counters summed: the limit and request families count
// every listener together (the per-listener families split them).
http::ServerCounters sum(std::span<const Listener> listeners) {
    http::ServerCounters t;
    for (const Listener& l : listeners) {
        const http::ServerCounters& c = *l.counters;
        t.requests += c.requests;
        t.errors += c.errors;
        t.connections_open += c.connections_open;
        t.connections_limit += c.connections_limit;
        t.head_bytes_limit += c.head_bytes_limit;
        t.headers_limit += c.headers_limit;
        t.body_bytes_limit += c.body_bytes_limit;
        t.request_deadline += c.request_deadline;
        t.response_deadline += c.response_deadline;
        t.write_chunks += c.write_chunks;
        t.alloc_failures += c.alloc_failures;
        t.shed_idle += c.shed_idle;
        t.shed_slow += c.shed_slow;
        t.first_byte_timeout += c.first_byte_timeout;
        t.send_rate += c.send_rate;
        t.response_memory += c.response_memory;
        t.request_memory += c.request_memory;
    }
    return t;
}

void render_loop(const LoopStats& l, std::string& out) {
    head(out, kLoopLag);
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= LoopStats::kBuckets; ++i) {
        cumulative += l.lag_buckets[i];
        std::string le;
        if (i < LoopStats::kBuckets) prom::append_value(le, LoopStats::kBoundsSeconds[i]);
        else le = "+Inf";
        out += "mmwatch_loop_lag_seconds_bucket{le=\"";
        out += le;
        out += "\"} ";
        prom::append_int(out, cumulative);
        out += '\n';
    }
    out += "mmwatch_loop_lag_seconds_sum ";
    prom::append_value(out, l.lag_sum_seconds);
    out += "\nmmwatch_loop_lag_seconds_count ";
    prom::append_int(out, l.lag_count);
    out += '\n';
    head(out, kLoopBusy);
    out += kLoopBusy.name;
    out += ' ';
    prom::append_value(out, l.busy_ratio);
    out += '\n';
}

}  // namespace

const std::unordered_set<std::string>& self_metric_names() {
    static const std::unordered_set<std::string> names = [] {
        std::unordered_set<std::string> s;
        for (const Family* f : kAll) s.emplace(f->name);
        // The histogram's sample names too: a file may not write them.
        for (const char* suffix : {"_bucket", "_count", "_sum"}) s.emplace(std::string(kLoopLag.name) + suffix);
        s.emplace(kSourceStale);
        return s;
    }();
    return names;
}

void render_self_metrics(const SelfMetricsInput& in, std::string& out) {
    const FileCounters& f = in.files;
    const PageCounters& page = in.page;
    const http::ServerCounters http = sum(in.listeners);
    const EventLog& events = in.events;
    head(out, kSources);
    for (size_t i = 0; i < kSourceStateCount; ++i) sample(out, kSources, "state", state_name(SourceState(i)), f.sources[i]);
    head(out, kRejections);
    for (size_t i = 1; i < rezl::kReasonCount; ++i) {
        sample(out, kRejections, "reason", rezl::reason_name(rezl::Reason(i)), f.rejections[i]);
    }
    single(out, kReadFaults, f.read_faults);
    single(out, kConflicts, page.type_conflicts);
    single(out, kDuplicates, page.duplicate_series);
    const LimitHit limits[] = {
        {"files", f.files_limit},
        {"file_bytes", f.file_bytes_limit},
        {"mapped_bytes", f.mapped_bytes_limit},
        {"series", page.series_limit},
        {"connections", http.connections_limit},
        {"request_head_bytes", http.head_bytes_limit},
        {"request_headers", http.headers_limit},
        {"body_bytes", http.body_bytes_limit},
        {"request_deadline", http.request_deadline},
        {"response_deadline", http.response_deadline},
        {"response_bytes", page.response_bytes_limit},
        {"write_chunks", http.write_chunks},
        {"snapshot_budget", f.snapshot_budget},
        {"inotify_overflow", f.inotify_overflow},
        {"open_fds", f.fd_exhausted},
        {"disk_backed", f.disk_backed_found},
        {"first_byte", http.first_byte_timeout},
        {"send_rate", http.send_rate},
        {"response_memory", http.response_memory},
        {"request_memory", http.request_memory},
    };
    head(out, kLimits);
    for (const LimitHit& l : limits) sample(out, kLimits, "limit", l.name, l.hits);
    head(out, kEvents);
    for (size_t i = 0; i < kEventKindCount; ++i) {
        sample(out, kEvents, "kind", event_kind_name(EventKind(i)), events.recorded(EventKind(i)));
    }
    single(out, kEventErrors, events.write_errors());
    single(out, kStale, f.stale_sources);
    single(out, kRescans, f.rescans);
    single(out, kRequests, http.requests);
    single(out, kHttpErrors, http.errors);
    single(out, kScrapes, page.scrapes);
    single(out, kRenders, page.renders);
    single(out, kConnections, http.connections_open);
    single(out, kSeries, page.series_exposed);
    single(out, kMapped, f.mapped_bytes);
    single(out, kWaitingForFds, f.waiting_for_fds);
    single(out, kDiskBacked, f.disk_backed);
    single(out, kWatchFailures, f.watch_failures);
    head(out, kListenerConnections);
    for (const Listener& l : in.listeners) sample(out, kListenerConnections, "listener", l.name, l.counters->connections_open);
    head(out, kListenerRefused);
    for (const Listener& l : in.listeners) sample(out, kListenerRefused, "listener", l.name, l.counters->connections_limit);
    head(out, kShed);
    sample(out, kShed, "reason", "idle", http.shed_idle);
    sample(out, kShed, "reason", "slow", http.shed_slow);
    head(out, kAllocFailures);
    sample(out, kAllocFailures, "where", "request", http.alloc_failures);
    sample(out, kAllocFailures, "where", "render", page.render_alloc_failures);
    sample(out, kAllocFailures, "where", "tick", in.tick_alloc_failures);
    render_loop(in.loop, out);
    head(out, kBuildInfo);
    sample(out, kBuildInfo, "version", in.version, 1);

    const ProcessStats p = read_process_stats();
    single(out, kRss, p.rss_bytes);
    head(out, kCpu);
    out += kCpu.name;
    out += ' ';
    prom::append_value(out, p.cpu_seconds);
    out += '\n';
    single(out, kFds, p.open_fds);
    single(out, kMaxFds, p.max_fds);
    head(out, kStart);
    out += kStart.name;
    out += ' ';
    prom::append_value(out, double(in.start_unix_ns / 1'000'000) / 1000.0);
    out += '\n';
}

}  // namespace mmwatch
