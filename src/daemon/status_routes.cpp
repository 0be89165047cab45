#include "daemon/status_routes.hpp"

#include <algorithm>
#include <charconv>

#include "base/clock.hpp"
#include "daemon/history_keeper.hpp"
#include "history/history_store.hpp"
#include "otlp/store.hpp"
#include "push/pusher.hpp"
#include "ui/status_page.hpp"

namespace mmwatch::daemon {

namespace {

// A remote_write URL with samples waiting and no success for this long is
// shown as retrying: four default 15 s intervals without getting through.
constexpr int64_t kPushLateMs = 60'000;

// A query parameter's unsigned value, or `fallback` when absent or not a number.
uint64_t number_param(const http::Request& req, std::string_view key, uint64_t fallback) {
    std::string v;
    if (!http::query_param(req.query, key, v)) return fallback;
    uint64_t n = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    return ec == std::errc{} && p == v.data() + v.size() ? n : fallback;
}

std::string_view push_state(const push::SenderCounters& c, int64_t now_unix_ms) {
    if (c.samples_in == 0) return "idle";
    const bool late = c.last_success_unix_ms == 0 || now_unix_ms - c.last_success_unix_ms > kPushLateMs;
    return c.pending_samples > 0 && late ? "retrying" : "ok";
}

}  // namespace

http::Response StatusRoutes::html(std::string body) const {
    if (body.size() > config_.max_response_bytes)
        return http::error_response(422, "the status page passes --max-response-bytes; filter with ?match=");
    http::Response r = http::Response::text(200, std::move(body));
    r.content_type = "text/html; charset=utf-8";
    r.extra_headers = "Cache-Control: no-store\r\n";
    return r;
}

http::Response StatusRoutes::status(const http::Request& req) const {
    const base::Now now = base::clock_now();
    ui::SeriesQuery q;
    (void)http::query_param(req.query, "match", q.match);
    // A page past every series renders an empty table: bounded either way.
    q.page = size_t(std::min<uint64_t>(number_param(req, "page", 0), SIZE_MAX / ui::kSeriesRowsPerPage));
    q.from = history::SeriesId(std::min<uint64_t>(number_param(req, "from", 0), history::kNoSeries));
    const ui::StatusInput in = input(now.unix_ms(), now.mono_ms);
    std::string body;
    const history::Store* store = parts_.history ? &parts_.history->store() : nullptr;
    ui::render_status(in, store, q, body);
    return html(std::move(body));
}

http::Response StatusRoutes::series(const http::Request& req) const {
    if (!parts_.history) return http::error_response(404, "no history store");
    const uint64_t id = number_param(req, "id", history::kNoSeries);
    const uint64_t gen = number_param(req, "gen", UINT64_MAX);
    std::string range;
    (void)http::query_param(req.query, "range", range);
    std::string body;
    const bool found = id < history::kNoSeries && gen <= UINT32_MAX &&
                       ui::render_series_page(parts_.history->store(), history::SeriesId(id), uint32_t(gen), range,
                                              base::unix_ns_now() / 1'000'000, parts_.daemon.version, body);
    if (!found) return http::error_response(404, "no such series (it may have gone); see / for the series");
    return html(std::move(body));
}

ui::StatusInput StatusRoutes::input(int64_t now_unix_ms, uint64_t now_mono_ms) const {
    ui::StatusInput in;
    in.now_unix_ms = now_unix_ms;
    add_daemon(in);
    add_files(in, now_unix_ms, now_mono_ms);
    add_services(in, now_unix_ms * 1'000'000);
    add_push(in, now_unix_ms);
    return in;
}

// Sources then files waiting for an fd, the first kMaxListRows by name.
void StatusRoutes::add_files(ui::StatusInput& in, int64_t now_unix_ms, uint64_t now_mono_ms) const {
    const files::Watcher& w = parts_.watcher;
    in.directory_present = w.directory_present();
    in.files_total = w.sources().size() + w.waiting_for_fds().size();
    for (const auto& [name, s] : w.sources()) {
        if (in.files.size() == ui::kMaxListRows) break;
        ui::FileRow& row = in.files.emplace_back();
        row.name = s->label();
        row.path = name;
        row.state = files::state_name(s->state());
        if (s->state() != files::SourceState::active && s->reason() != rezl::Reason::none) {
            row.reason = rezl::reason_name(s->reason());
            row.message = rezl::reason_message(s->reason());
        }
        row.metrics = s->state() == files::SourceState::active ? s->layout().metrics.size() : 0;
        row.size_bytes = s->file_size();
        // The source keeps monotonic times; shown as wall time for a person.
        if (s->last_change_ms() > 0 && s->last_change_ms() <= now_mono_ms)
            row.last_change_unix_ms = now_unix_ms - int64_t(now_mono_ms - s->last_change_ms());
        row.stale = s->stale();
    }
    for (const std::string& name : w.waiting_for_fds()) {
        if (in.files.size() == ui::kMaxListRows) break;
        ui::FileRow& row = in.files.emplace_back();
        row.name = name;
        row.path = name;
        row.state = "waiting";
        row.reason = "open_fds";
        row.message = "no file descriptor left (RLIMIT_NOFILE); retried every tick";
    }
}

void StatusRoutes::add_services(ui::StatusInput& in, int64_t now_unix_ns) const {
    const otlp::ServiceHealth& health = parts_.otlp.health();
    in.services_total = health.size();
    for (uint32_t svc = 0; svc < health.size() && in.services.size() < ui::kMaxListRows; ++svc) {
        const otlp::HealthSummary h = health.summarize(svc, now_unix_ns);
        in.services.push_back({h.ns, h.name, h.points, h.last_seen_ns / 1'000'000, h.has_http, h.rate_per_s,
                               h.error_ratio, h.p99_s});
    }
}

void StatusRoutes::add_push(ui::StatusInput& in, int64_t now_unix_ms) const {
    for (const auto& sender : parts_.pusher.senders()) {
        const push::SenderCounters& c = sender->counters();
        uint64_t dropped = 0;
        for (const uint64_t d : c.samples_dropped) dropped += d;
        in.push.push_back({sender->url(), push_state(c, now_unix_ms), c.pending_samples, c.pending_bytes,
                           c.last_success_unix_ms, c.samples_sent, c.samples_failed, dropped,
                           sender->last_rejection()});
    }
}

void StatusRoutes::add_daemon(ui::StatusInput& in) const {
    const DaemonStats& d = parts_.daemon;
    ui::DaemonView& v = in.daemon;
    v.version = d.version;
    v.start_unix_ms = d.start_unix_ns / 1'000'000;
    v.lag_mean_s = d.loop.lag_count > 0 ? d.loop.lag_sum_seconds / double(d.loop.lag_count) : 0;
    v.busy_ratio = d.loop.busy_ratio;
    for (const Listener& l : d.listeners) {
        const http::ServerCounters& c = *l.counters;
        v.requests += c.requests;
        v.http_errors += c.errors;
        v.connections_open += c.connections_open;
        v.connections_shed += c.shed_newcomers + c.first_byte_timeout + c.send_rate + c.response_memory;
    }
    for (const auto& by_format : page_.counters().scrapes) v.scrapes += by_format[0] + by_format[1];
    if (parts_.history) {
        const history::Store& s = parts_.history->store();
        v.memory.push_back({"history (--history-bytes)", s.bytes(), s.config().max_bytes});
    }
    v.memory.push_back({"OTLP store (--otlp-max-bytes)", parts_.otlp.memory_bytes(), parts_.otlp.limits().max_bytes});
    v.memory.push_back({"mapped files (--max-mapped-bytes)", parts_.watcher.counters().mapped_bytes,
                        config_.max_mapped_bytes});
    uint64_t pending = 0;
    for (const auto& sender : parts_.pusher.senders()) pending += sender->counters().pending_bytes;
    v.memory.push_back({"push queues (--remote-write-queue-bytes each)", pending,
                        config_.push_queue_bytes * parts_.pusher.senders().size()});
}

}  // namespace mmwatch::daemon
