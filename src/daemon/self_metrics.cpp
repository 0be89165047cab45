#include "daemon/self_metrics.hpp"

#include "daemon/history_keeper.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "daemon/grpc_self_metrics.hpp"
#include "daemon/metric_rows.hpp"
#include "prom/text.hpp"
#include "prom/writer.hpp"
#include "push/pusher.hpp"

namespace mmwatch::daemon {

namespace {

using prom::Kind;

using prom::Family;
using prom::head;
using prom::single;

constexpr Family kSources{"mmwatch_sources", Kind::gauge, "Files in the watched directory by state."};
constexpr Family kRejections{"mmwatch_source_rejections_total", Kind::counter, "Files rejected, by reason."};
constexpr Family kReadFaults{"mmwatch_read_faults_total", Kind::counter, "Faults (SIGBUS) while copying mapped data."};
constexpr Family kConflicts{"mmwatch_type_conflicts_total", Kind::counter,
                            "Series dropped because their family has another type or a reserved name."};
constexpr Family kDuplicates{"mmwatch_duplicate_series_total", Kind::counter,
                             "Series dropped as duplicates: a name twice in one file, or two files with one name label."};
constexpr Family kLimits{"mmwatch_limit_hits_total", Kind::counter, "Times a limit was reached, by limit."};
constexpr Family kEvents{"mmwatch_events_total", Kind::counter, "Events recorded, by kind."};
constexpr Family kEventErrors{"mmwatch_event_log_write_errors_total", Kind::counter, "Failed writes to --event-log."};
constexpr Family kStale{"mmwatch_stale_sources", Kind::gauge, "Active files whose data has not changed for --stale-after."};
constexpr Family kRescans{"mmwatch_rescans_total", Kind::counter, "Full rescans of the watched directory."};
constexpr Family kRequests{"mmwatch_http_requests_total", Kind::counter, "HTTP requests answered."};
constexpr Family kHttpErrors{"mmwatch_http_errors_total", Kind::counter, "HTTP responses with status 400 or above."};
constexpr Family kScrapes{"mmwatch_scrapes_total", Kind::counter, "GET /metrics requests served, by format and encoding."};
constexpr Family kRenders{"mmwatch_renders_total", Kind::counter, "Expositions rendered (at most one per snapshot and format)."};
constexpr Family kCompressions{"mmwatch_compressions_total", Kind::counter,
                               "gzip bodies made of /metrics (at most one per render), by format."};
constexpr Family kBodyBytes{"mmwatch_exposition_bytes", Kind::gauge,
                            "Size of the latest /metrics body, by format and encoding."};
constexpr Family kConnections{"mmwatch_http_connections", Kind::gauge, "Open HTTP connections."};
constexpr Family kSeries{"mmwatch_file_series", Kind::gauge, "Series exposed from files."};
constexpr Family kMapped{"mmwatch_mapped_bytes", Kind::gauge, "Bytes of files mapped."};
constexpr Family kWaitingForFds{"mmwatch_files_waiting_for_fds", Kind::gauge,
                                "Files not opened for lack of file descriptors (RLIMIT_NOFILE); retried every tick."};
constexpr Family kDiskBacked{"mmwatch_directory_disk_backed", Kind::gauge,
                             "1 when the watched directory is not on tmpfs or ramfs (producers may stall on writeback)."};
constexpr Family kWatchFailures{"mmwatch_inotify_watch_failures_total", Kind::counter,
                                "Times the recovered directory could not be watched (retried next tick)."};
constexpr Family kListenerConnections{"mmwatch_listener_connections", Kind::gauge, "Open HTTP connections, by listener."};
constexpr Family kListenerRefused{"mmwatch_listener_refused_connections_total", Kind::counter,
                                  "Connections refused at the listener's cap (--max-connections), by listener."};
constexpr Family kShed{"mmwatch_http_shed_connections_total", Kind::counter,
                       "Connections closed to make room for a new one, by reason: newcomer (the one not yet proven "
                       "that waited longest on its client), client_gone (its client closed its side before its TLS "
                       "handshake or first byte: closed without work)."};
constexpr Family kAllocFailures{"mmwatch_allocation_failures_total", Kind::counter,
                                "Times memory ran out, by where: the request was answered 503, the render or tick skipped."};
constexpr Family kExceptions{"mmwatch_callback_exceptions_total", Kind::counter,
                             "Exceptions stopped at a loop callback, by where: the request answered 500 or the "
                             "connection closed, the tick's work skipped, the push's transfer failed and retried "
                             "(push counts memory running out too)."};
constexpr Family kLoopLag{"mmwatch_loop_lag_seconds", Kind::histogram,
                          "How late the snapshot tick ran: time callbacks held the loop past its turn."};
constexpr Family kLoopBusy{"mmwatch_loop_busy_ratio", Kind::gauge,
                           "Share of the last tick interval the loop spent running callbacks (not waiting)."};
constexpr Family kSampleBatches{"mmwatch_sample_batches_total", Kind::counter,
                                "Batches of every series the sample pipeline collected for history and remote_write."};
constexpr Family kSampleSlices{"mmwatch_sample_slices_total", Kind::counter,
                               "Loop turns those collections were cut into (about 5,000 samples each)."};
constexpr Family kSampleRestarts{"mmwatch_sample_restarts_total", Kind::counter,
                                 "Collections begun again because the files changed under one."};
constexpr Family kSampleWhole{"mmwatch_sample_whole_total", Kind::counter,
                              "Collections made whole in one loop turn because the files kept changing "
                              "under them (begun again too often to slice)."};
constexpr Family kSampleFailures{"mmwatch_sample_failures_total", Kind::counter,
                                 "Collections abandoned (memory ran out or an exception): that round was skipped."};
constexpr Family kLoopTurn{"mmwatch_loop_turn_seconds", Kind::histogram,
                           "Time each loop turn spent in callbacks (not waiting): what a request waits for the loop at most."};
constexpr Family kLoopTurnMax{"mmwatch_loop_turn_max_seconds", Kind::gauge, "The longest loop turn since start."};
constexpr Family kLoopTurnCpu{"mmwatch_loop_turn_cpu_seconds", Kind::histogram,
                              "CPU time the loop's thread ran in each loop turn (the rest of the turn's time the "
                              "machine ran something else)."};
constexpr Family kTurnSlices{"mmwatch_turn_slices_total", Kind::counter,
                              "Slices of long work the loop turn's budget let run, by worker (sample, push, "
                              "history, export, query)."};
constexpr Family kTurnDeferred{"mmwatch_turn_deferred_total", Kind::counter,
                               "Times a worker's slice waited for the next loop turn: the turn had spent its "
                               "budget (kTurnBudgetNs), by worker."};
constexpr Family kTlsHandshakes{"mmwatch_tls_handshakes_total", Kind::counter, "TLS handshakes completed."};
constexpr Family kTlsFailures{"mmwatch_tls_handshake_failures_total", Kind::counter,
                              "TLS handshakes refused, by reason (docs/security.md)."};
constexpr Family kTlsReloads{"mmwatch_tls_certificate_reloads_total", Kind::counter,
                             "Certificate, key or CA files re-read after a change, by result (failed: the old ones stay)."};
constexpr Family kReloads{"mmwatch_web_config_reloads_total", Kind::counter,
                          "SIGHUP re-reads of --web-config and its certificates, by result (failed: the old ones stay)."};
constexpr Family kAuth{"mmwatch_http_auth_total", Kind::counter, "Basic auth checks, by result (docs/security.md)."};
constexpr Family kBuildInfo{"mmwatch_build_info", Kind::gauge, "Build information; always 1."};
constexpr Family kRss{"process_resident_memory_bytes", Kind::gauge, "Resident memory size in bytes."};
constexpr Family kCpu{"process_cpu_seconds_total", Kind::counter, "Total user and system CPU time spent in seconds."};
constexpr Family kFds{"process_open_fds", Kind::gauge, "Number of open file descriptors."};
constexpr Family kMaxFds{"process_max_fds", Kind::gauge, "Maximum number of open file descriptors."};
constexpr Family kStart{"process_start_time_seconds", Kind::gauge, "Start time of the process since unix epoch in seconds."};

constexpr const Family* kAll[] = {&kSources, &kRejections, &kReadFaults, &kConflicts, &kDuplicates, &kLimits,
                                  &kEvents, &kEventErrors, &kStale, &kRescans, &kRequests, &kHttpErrors,
                                  &kScrapes, &kRenders, &kCompressions, &kBodyBytes, &kConnections, &kSeries, &kMapped, &kWaitingForFds, &kDiskBacked, &kWatchFailures,
                                  &kListenerConnections, &kListenerRefused, &kShed, &kAllocFailures, &kLoopLag, &kLoopBusy, &kLoopTurn, &kLoopTurnMax, &kLoopTurnCpu, &kSampleBatches, &kSampleSlices, &kSampleRestarts, &kSampleWhole, &kSampleFailures, &kTurnSlices, &kTurnDeferred, &kTlsHandshakes, &kTlsFailures, &kTlsReloads, &kReloads, &kAuth, 
                                  &kBuildInfo,
                                  &kRss, &kCpu, &kFds, &kMaxFds, &kStart};
// Rendered by the metrics page (it needs the sources), reserved here.
constexpr std::string_view kSourceStale = "mmwatch_source_stale";

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
        t.write_turn_budget += c.write_turn_budget;
        t.accept_budget += c.accept_budget;
        t.alloc_failures += c.alloc_failures;
        t.exceptions += c.exceptions;
        t.proven_limit += c.proven_limit;
        t.shed_newcomers += c.shed_newcomers;
        t.client_gone += c.client_gone;
        t.first_byte_timeout += c.first_byte_timeout;
        t.send_rate += c.send_rate;
        t.response_memory += c.response_memory;
        t.request_memory += c.request_memory;
    }
    return t;
}

void render_loop(const LoopStats& l, prom::Writer& out) {
    head(out, kLoopLag);
    out.metric({});
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= LoopStats::kBuckets; ++i) {
        cumulative += l.lag_buckets[i];
        const double le = i < LoopStats::kBuckets ? LoopStats::kBoundsSeconds[i] : HUGE_VAL;
        out.bucket(le, double(cumulative));
    }
    out.sum(l.lag_sum_seconds);
    out.count(double(l.lag_count));
    single(out, kLoopBusy, l.busy_ratio);
    head(out, kLoopTurn);
    prom::durations(out, {}, {}, l.turns);
    single(out, kLoopTurnMax, double(l.turns.max_ns) / 1e9);
    head(out, kLoopTurnCpu);
    prom::durations(out, {}, {}, l.turns_cpu);
}

void render_page(const PageCounters& page, prom::Writer& out) {
    using prom::Format;
    constexpr Format kFormats[] = {Format::text, Format::openmetrics, Format::protobuf};
    constexpr std::string_view kEncodings[] = {"identity", "gzip"};
    const auto by_format = [&](const Family& f, auto value) {
        head(out, f);
        for (Format fmt : kFormats) {
            for (size_t e = 0; e < 2; ++e) {
                std::string labels;
                out.label(labels, "encoding", kEncodings[e]);
                out.label(labels, "format", prom::format_name(fmt));
                out.metric(labels);
                out.value(double(value(fmt, e)));
            }
        }
    };
    by_format(kScrapes, [&](Format f, size_t e) { return page.scrapes[size_t(f)][e]; });
    head(out, kRenders);
    for (Format f : kFormats) row(out, "format", prom::format_name(f), page.renders[size_t(f)]);
    head(out, kCompressions);
    for (Format f : kFormats) row(out, "format", prom::format_name(f), page.compressions[size_t(f)]);
    by_format(kBodyBytes, [&](Format f, size_t e) { return page.body_bytes[size_t(f)][e]; });
}

}  // namespace

const std::unordered_set<std::string>& self_metric_names() {
    static const std::unordered_set<std::string> names = [] {
        std::unordered_set<std::string> s;
        const std::vector<Family> push_families = push::Pusher::self_metric_families();
        std::vector<const Family*> all(std::begin(kAll), std::end(kAll));
        for (const Family& f : push_families) all.push_back(&f);
        const std::vector<Family> history_families = HistoryKeeper::self_metric_families();
        for (const Family& f : history_families) all.push_back(&f);
        for (const Family& f : grpc_metric_families()) all.push_back(&f);
        for (const Family* f : all) {
            s.emplace(f->name);
            // A histogram's sample names too: a file may not write them.
            if (f->kind == Kind::histogram)
                for (const char* suffix : {"_bucket", "_count", "_sum"}) s.emplace(std::string(f->name) + suffix);
            // What OpenMetrics writes for a counter: the family name without
            // _total and its _created sample.
            if (f->kind == Kind::counter && f->name.ends_with("_total")) {
                const std::string_view stem = f->name.substr(0, f->name.size() - 6);
                s.emplace(stem);
                s.emplace(std::string(stem) + "_created");
            }
        }
        s.emplace(kSourceStale);
        return s;
    }();
    return names;
}

void render_self_metrics(const SelfMetricsInput& in, prom::Writer& out) {
    const files::FileCounters& f = in.files;
    const PageCounters& page = in.page;
    const http::ServerCounters http = sum(in.listeners);
    const files::EventLog& events = in.events;
    enum_rows(out, kSources, "state", files::state_name, f.sources);
    enum_rows(out, kRejections, "reason", rezl::reason_name, f.rejections, 1);
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
        {"write_turn_bytes", http.write_turn_budget},
        {"accept_budget", http.accept_budget},
        {"snapshot_budget", f.snapshot_budget},
        {"inotify_overflow", f.inotify_overflow},
        {"open_fds", f.fd_exhausted},
        {"disk_backed", f.disk_backed_found},
        {"first_byte", http.first_byte_timeout},
        {"send_rate", http.send_rate},
        {"response_memory", http.response_memory},
        {"request_memory", http.request_memory},
        {"proven_connections", http.proven_limit},
    };
    head(out, kLimits);
    for (const LimitHit& l : limits) row(out, "limit", l.name, l.hits);
    head(out, kEvents);
    for (size_t i = 0; i < files::kEventKindCount; ++i) {
        row(out, "kind", files::event_kind_name(files::EventKind(i)), events.recorded(files::EventKind(i)));
    }
    single(out, kEventErrors, events.write_errors());
    single(out, kStale, f.stale_sources);
    single(out, kRescans, f.rescans);
    single(out, kRequests, http.requests);
    single(out, kHttpErrors, http.errors);
    render_page(page, out);
    single(out, kConnections, http.connections_open);
    single(out, kSeries, page.series_exposed);
    single(out, kMapped, f.mapped_bytes);
    single(out, kWaitingForFds, f.waiting_for_fds);
    single(out, kDiskBacked, f.disk_backed);
    single(out, kWatchFailures, f.watch_failures);
    head(out, kListenerConnections);
    for (const Listener& l : in.listeners) row(out, "listener", l.name, l.counters->connections_open);
    head(out, kListenerRefused);
    for (const Listener& l : in.listeners) row(out, "listener", l.name, l.counters->connections_limit);
    head(out, kShed);
    row(out, "reason", "newcomer", http.shed_newcomers);
    row(out, "reason", "client_gone", http.client_gone);
    head(out, kAllocFailures);
    row(out, "where", "request", http.alloc_failures);
    row(out, "where", "render", page.render_alloc_failures);
    row(out, "where", "tick", in.tick_alloc_failures);
    head(out, kExceptions);
    row(out, "where", "request", http.exceptions);
    row(out, "where", "tick", in.tick_exceptions);
    row(out, "where", "push", in.push_failures);
    render_loop(in.loop, out);
    const SamplerCounters none;
    const SamplerCounters& sc = in.sampler ? *in.sampler : none;
    single(out, kSampleBatches, double(sc.batches));
    single(out, kSampleSlices, double(sc.slices));
    single(out, kSampleRestarts, double(sc.restarts));
    single(out, kSampleWhole, double(sc.whole));
    single(out, kSampleFailures, double(sc.failures));
    // The daemon's workers, at zero before they join.
    const std::vector<base::TurnBudget::Counts> not_joined{{"sample"}, {"push"}, {"history"}, {"export"}, {"query"}};
    const auto& turns = in.turn_budget ? in.turn_budget->counts() : not_joined;
    head(out, kTurnSlices);
    for (const auto& w : turns) row(out, "worker", w.name, w.slices);
    head(out, kTurnDeferred);
    for (const auto& w : turns) row(out, "worker", w.name, w.deferred);
    const http::TlsCounters tls = in.tls ? *in.tls : http::TlsCounters{};
    single(out, kTlsHandshakes, double(tls.handshakes));
    enum_rows(out, kTlsFailures, "reason", http::handshake_failure_name, tls.failures);
    head(out, kTlsReloads);
    row(out, "result", "ok", tls.reloads);
    row(out, "result", "failed", tls.reload_failures);
    head(out, kReloads);
    row(out, "result", "ok", in.reloads ? in.reloads[0] : 0);
    row(out, "result", "failed", in.reloads ? in.reloads[1] : 0);
    head(out, kAuth);
    for (size_t i = 0; i < http::kAuthResultCount; ++i)
        row(out, "result", http::auth_result_name(http::AuthResult(i)), in.auth ? in.auth[i] : 0);
    head(out, kBuildInfo);
    row(out, "version", in.version, 1);

    const ProcessStats p = read_process_stats();
    single(out, kRss, p.rss_bytes);
    single(out, kCpu, p.cpu_seconds);
    single(out, kFds, p.open_fds);
    single(out, kMaxFds, p.max_fds);
    single(out, kStart, double(in.start_unix_ns / 1'000'000) / 1000.0);
}

}  // namespace mmwatch::daemon
