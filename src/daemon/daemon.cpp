#include "daemon/daemon.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <new>

#include "base/guard.hpp"
#include "daemon/api_metadata.hpp"
#include "daemon/version.h"
#include "daemon/web_config.hpp"
#include "files/guarded_copy.hpp"
#include "http/basic_auth.hpp"
#include "http/tls.hpp"

namespace mmwatch::daemon {

namespace {

base::Now now_from(uv_loop_t* loop) { return base::now_at(uv_now(loop)); }

// Raises the soft RLIMIT_NOFILE to the hard one (as Go programs and nginx
// do) and returns the fds the sources may hold: the limit less every
// listener's connections and a reserve for the rest (listeners, inotify,
// the directory, the event log, stdio).
size_t file_fd_budget(const Options& o) {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return SIZE_MAX;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
    const uint64_t listeners = 1 + !o.otlp_listen_host.empty() + !o.otlp_grpc_listen_host.empty();
    const uint64_t sockets = listeners * (o.max_connections + 1) + base::kReservedFds;
    return rl.rlim_cur > sockets ? size_t(rl.rlim_cur - sockets) : 0;
}

files::WatcherConfig watcher_config(const Options& o) {
    files::WatcherConfig c;
    c.dir = o.dir;
    c.ready_timeout_ms = o.ready_timeout_ms;
    c.stale_after_ms = o.stale_after_ms;
    c.max_files = o.max_files;
    c.max_fds = file_fd_budget(o);
    c.snapshot_bytes_per_tick =
        std::clamp<uint64_t>(base::kMaxSnapshotBytesPerSecond / 1000 * o.interval_ms, 1 << 20, base::kMaxSnapshotBytesPerTick);
    c.limits = {o.max_file_bytes, o.max_mapped_bytes};
    return c;
}

otlp::StoreLimits otlp_limits(const Options& o) {
    otlp::StoreLimits l;
    l.window_ms = int64_t(o.otlp_window_ms);
    l.max_series = o.otlp_max_series;
    l.max_bytes = o.otlp_max_bytes;
    return l;
}

// On a 32-bit machine (armhf) a limit past what it can address is no limit.
size_t at_most_size_max(uint64_t v) { return size_t(std::min<uint64_t>(v, SIZE_MAX)); }

PageConfig page_config(const Options& o) {
    return {o.grouping_power, at_most_size_max(o.max_series), at_most_size_max(o.max_response_bytes)};
}

push::PusherConfig pusher_config(const Options& o) {
    return {o.remote_write,
            o.remote_write_ca_file,
            o.remote_write_user,
            o.remote_write_password_file,
            o.remote_write_bearer_token_file,
            o.remote_write_headers,
            o.remote_write_timeout_ms,
            o.remote_write_queue_bytes,
            o.remote_write_spool,
            o.remote_write_spool_bytes,
            std::string("mmwatch/") + MMWATCH_VERSION};
}

StatusConfig status_config(const Options& o) {
    return {at_most_size_max(o.max_response_bytes), o.max_mapped_bytes, o.remote_write_queue_bytes};
}

HistoryConfig history_config(const Options& o) {
    HistoryConfig c;
    c.store.max_bytes = o.history_bytes;
    c.store.max_series = at_most_size_max(o.history_max_series);
    c.interval_ms = o.history_interval_ms;
    c.dir = o.history_dir;
    c.disk_bytes = o.history_disk_bytes;
    c.flush_interval_ms = o.history_flush_interval_ms;
    c.max_body_bytes = at_most_size_max(o.max_body_bytes);
    c.max_export_bytes = at_most_size_max(o.max_response_bytes);
    return c;
}

}  // namespace

Daemon::Daemon(const Options& options)
    : options_(options),
      watcher_(watcher_config(options), events_),
      otlp_(otlp_limits(options)),
      receiver_(otlp_, options.max_body_bytes),
      grpc_service_(otlp_, options.otlp_grpc_max_message_bytes),
      pusher_(pusher_config(options)),
      history_(history_config(options)),
      page_(page_config(options), {watcher_, events_, stats_, pusher_, otlp_, receiver_, grpc_service_, &history_}),
      status_(status_config(options),
              {watcher_, events_, stats_, pusher_, otlp_, receiver_, grpc_service_, &history_}, page_),
      router_(watcher_, page_, MMWATCH_VERSION),
      otlp_routes_(router_),
      grpc_routes_(grpc_service_, page_) {
    loop_ready_ = uv_loop_init(&loop_) == 0;
    // Idle time is what the busy ratio is measured against.
    if (loop_ready_) (void)uv_loop_configure(&loop_, UV_METRICS_IDLE_TIME);
    stats_.version = MMWATCH_VERSION;
    router_.attach_otlp(&otlp_, &receiver_);
    otlp_.set_sink(&history_.otlp());  // OTLP points live in the history store
    history_.otlp().attach(otlp_, page_.taken_names());  // under the names /metrics gives them
    router_.attach_history(&history_);
    router_.attach_status(&status_);
}

Daemon::~Daemon() {
    stop();
    if (loop_ready_) {
        // Let the close callbacks run so every handle's memory is freed.
        uv_run(&loop_, UV_RUN_DEFAULT);
        uv_loop_close(&loop_);
    }
}

bool Daemon::start(std::string& error) {
    if (!loop_ready_) {
        error = "cannot initialize the event loop";
        return false;
    }
    if (!files::install_fault_handler()) {
        error = "cannot install the SIGBUS handler";
        return false;
    }
    const base::Now now = now_from(&loop_);
    stats_.start_unix_ns = now.unix_ns;
    if (!options_.event_log.empty()) {
        if (int err = events_.open(options_.event_log)) {
            error = "cannot open --event-log " + options_.event_log + ": " + std::strerror(err);
            return false;
        }
    }
    if (int err = watcher_.open(now)) {
        error = "cannot watch directory " + options_.dir + ": " + std::strerror(err);
        return false;
    }
    start_query_api();
    if (!start_listeners(error) || !start_sampler(error)) return false;
    uv_poll_init(&loop_, inotify_poll_.get(), watcher_.inotify_fd());
    inotify_poll_.mark_initialized();
    inotify_poll_.get()->data = this;
    uv_poll_start(inotify_poll_.get(), UV_READABLE, on_inotify);
    uv_timer_init(&loop_, tick_timer_.get());
    tick_timer_.mark_initialized();
    tick_timer_.get()->data = this;
    uv_timer_start(tick_timer_.get(), on_tick, options_.interval_ms, options_.interval_ms);
    if (uv_prepare_init(&loop_, turn_probe_.get()) == 0) {
        turn_probe_.mark_initialized();
        turn_probe_.get()->data = this;
        uv_prepare_start(turn_probe_.get(), on_turn);
    }
    for (auto* sig : {&sigint_, &sigterm_, &sighup_}) {
        uv_signal_init(&loop_, sig->get());
        sig->mark_initialized();
        sig->get()->data = this;
    }
    uv_signal_start(sigint_.get(), on_signal, SIGINT);
    uv_signal_start(sigterm_.get(), on_signal, SIGTERM);
    uv_signal_start(sighup_.get(), on_sighup, SIGHUP);
    // A write to a client that has reset its connection raises SIGPIPE,
    // whose default ends the process: one client closing a TLS connection
    // while its answer was written killed mmwatch (test_shedding.py,
    // 1,000 pullers). Ignored, the write fails with EPIPE and only that
    // connection is closed.
    std::signal(SIGPIPE, SIG_IGN);
    after_watcher_activity();
    return true;
}

// The query API over the history store, on --listen (docs/query.md).
void Daemon::start_query_api() {
    api::ApiOptions o;
    o.max_samples = int64_t(options_.query_max_samples);
    o.timeout_ms = int64_t(options_.query_timeout_ms);
    o.max_concurrent = size_t(options_.query_max_concurrency);
    o.version = MMWATCH_VERSION;
    o.live = [this](int64_t t_ms) -> std::shared_ptr<const api::LivePoints> {
        if (!sampler_ || history_.loading()) return nullptr;
        return history_.live_points(sampler_->collect(t_ms), t_ms);
    };
    o.metadata = [this](std::vector<api::MetricMetadata>& out) { list_families(page_, out); };
    query_api_ = std::make_unique<api::QueryApi>(history_.store(), &loop_, std::move(o));
    query_api_->share_turns(turn_budget_);
    router_.attach_query(query_api_.get());
    page_.attach_query_api(query_api_.get());
}

void Daemon::run() { uv_run(&loop_, UV_RUN_DEFAULT); }

// Each listener has its own cap: OTLP exporters can't take the scraper's
// connections, nor scrapers the exporters'. All share --web-config.
bool Daemon::start_listeners(std::string& error) {
    http::ServerConfig sc{size_t(options_.max_connections), options_.max_body_bytes, options_.response_memory,
                          options_.request_memory};
    if (!start_web(sc, error)) return false;
    server_ = std::make_unique<http::Server>(&loop_, sc, router_);
    if (int rc = server_->listen(options_.listen_host, options_.listen_port, bound_)) {
        error = "cannot listen on " + options_.listen_host + ":" + std::to_string(options_.listen_port) + ": " +
                uv_strerror(rc);
        return false;
    }
    stats_.listeners.push_back({"metrics", &server_->counters()});
    if (!options_.otlp_listen_host.empty()) {
        otlp_server_ = std::make_unique<http::Server>(&loop_, sc, otlp_routes_);
        if (int rc = otlp_server_->listen(options_.otlp_listen_host, options_.otlp_listen_port, otlp_bound_)) {
            error = "cannot listen on --otlp-listen " + options_.otlp_listen_host + ":" +
                    std::to_string(options_.otlp_listen_port) + ": " + uv_strerror(rc);
            return false;
        }
        stats_.listeners.push_back({"otlp", &otlp_server_->counters()});
    }
    return options_.otlp_grpc_listen_host.empty() || start_grpc(sc, error);
}

// The gRPC listener: HTTP/2 connections with the listener's own cap,
// timeouts, shedding and request budget (--request-memory), whose sessions
// hand each call to the MetricsService (docs/grpc.md).
bool Daemon::start_grpc(const http::ServerConfig& sc, std::string& error) {
    http::H2Config h2;
    h2.max_body_bytes = options_.otlp_grpc_max_message_bytes + base::kGrpcPrefixBytes;
    // A connection's window holds one whole message, or its even share of
    // the request budget when that is larger (H2Session takes the larger).
    h2.window_bytes = uint32_t(std::min<uint64_t>(options_.request_memory / options_.max_connections, INT32_MAX));
    grpc_listener_.reset(new http::H2Listener{grpc_routes_, h2, {}, {options_.request_memory, 0}});
    grpc_server_ = std::make_unique<http::Server>(&loop_, sc, *grpc_listener_);
    if (int rc = grpc_server_->listen(options_.otlp_grpc_listen_host, options_.otlp_grpc_listen_port, grpc_bound_)) {
        error = "cannot listen on --otlp-grpc-listen " + options_.otlp_grpc_listen_host + ":" +
                std::to_string(options_.otlp_grpc_listen_port) + ": " + uv_strerror(rc);
        return false;
    }
    stats_.listeners.push_back({"otlp_grpc", &grpc_server_->counters()});
    stats_.grpc = grpc_listener_.get();
    return true;
}

namespace {

bool loopback(const std::string& host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

// --web-config: one TLS context and one basic-auth check, shared by both
// listeners; and the warning for a listener open to the network as it is.
bool Daemon::start_web(http::ServerConfig& sc, std::string& error) {
    WebConfig web;
    if (!options_.web_config.empty() && !load_web_config(options_.web_config, web, error)) return false;
    if (web.tls) {
        tls_ = http::TlsContext::create(*web.tls, error);
        if (!tls_) {
            error = "--web-config " + options_.web_config + ": " + error;
            return false;
        }
        sc.tls = tls_.get();
        stats_.tls = &tls_->counters();
    }
    if (!web.auth.users.empty()) {
        web.auth.healthy_without_auth = options_.healthy_without_auth;
        auth_ = std::make_unique<http::BasicAuth>(std::move(web.auth));
        sc.auth = auth_.get();
        stats_.auth = auth_->counters();
    }
    sc.response_headers = web.response_headers;
    const bool open = !loopback(options_.listen_host) ||
                      (!options_.otlp_listen_host.empty() && !loopback(options_.otlp_listen_host)) ||
                      (!options_.otlp_grpc_listen_host.empty() && !loopback(options_.otlp_grpc_listen_host));
    if (open && !tls_ && !auth_) {
        std::fprintf(stderr,
                     "mmwatch: warning: listening beyond loopback with neither TLS nor basic auth: anyone who can "
                     "reach the port reads every metric and can write OTLP data (docs/security.md)\n");
    }
    return true;
}

// The sample pipeline and its consumers: the history store every
// --history-interval (its reload from --history-dir starts here) and
// remote_write's pusher every --remote-write-interval. Their series carry
// the labels a scrape of this instance would give them.
bool Daemon::start_sampler(std::string& error) {
    if (!pusher_.start(&loop_, error)) return false;
    std::string warning;
    history_.start(&loop_, warning);
    pusher_.share_turns(turn_budget_);
    history_.share_turns(turn_budget_);
    sample_turns_.join(turn_budget_, "sample");
    stats_.turn_budget = &turn_budget_;
    if (!warning.empty()) {
        std::fprintf(stderr, "mmwatch: warning: %s\n", warning.c_str());
        events_.record(files::EventKind::limit, "history", warning, now_from(&loop_).unix_ms());
    }
    const std::string instance = options_.remote_write_instance.empty() ? bound_ : options_.remote_write_instance;
    const Sampler::Labels target{{"instance", instance}, {"job", options_.remote_write_job}};
    // OTLP points are named in history as the sampler names their series.
    history_.otlp().set_labels(target, options_.external_labels);
    sampler_.emplace(page_, target, options_.external_labels);
    stats_.sampler = &sampler_->counters();
    sampler_->add(history_, history_.interval_ms(), uv_now(&loop_));
    if (pusher_.enabled()) sampler_->add(pusher_, options_.remote_write_interval_ms, uv_now(&loop_));
    uv_timer_init(&loop_, sample_timer_.get());
    sample_timer_.mark_initialized();
    sample_timer_.get()->data = this;
    uv_timer_start(sample_timer_.get(), on_sample, sampler_->wait_ms(uv_now(&loop_)), 0);
    uv_idle_init(&loop_, sample_idle_.get());
    sample_idle_.mark_initialized();
    sample_idle_.get()->data = this;
    return true;
}

// A collection is begun here; its slices run from the idle handle (which
// keeps the loop from sleeping meanwhile), the first in this turn when the
// turn's budget lets it, and the timer waits until it ends. Re-armed while
// a collection was under way, a consumer already due made it 0 ms: libuv
// 1.44 runs such a timer again in the same turn, so one turn ran every
// slice of the collection (14-20 ms at 100,000 series, once per history
// batch: the stall of issue 28 with history at its defaults).
void Daemon::on_sample(uv_timer_t* t) {
    auto* d = static_cast<Daemon*>(t->data);
    d->guarded("sample", [d] { d->sampler_->begin(uv_now(&d->loop_), now_from(&d->loop_).unix_ms()); });
    if (d->sampler_->collecting())
        uv_idle_start(d->sample_idle_.get(), on_sample_slice);
    else
        uv_timer_start(t, on_sample, d->sampler_->wait_ms(uv_now(&d->loop_)), 0);
}

void Daemon::on_sample_slice(uv_idle_t* h) {
    auto* d = static_cast<Daemon*>(h->data);
    if (!d->sample_turns_.admit()) return;  // the next turn's
    d->guarded("sample", [d] { d->sampler_->step(); });
    if (d->sampler_->collecting()) return;
    uv_idle_stop(h);
    uv_timer_start(d->sample_timer_.get(), on_sample, d->sampler_->wait_ms(uv_now(&d->loop_)), 0);
}

// A certificate change that did not load: logged once per failure.
void Daemon::report_tls_reloads(int64_t unix_ms) {
    if (!tls_ || tls_->counters().reload_failures == tls_reload_failures_reported_) return;
    tls_reload_failures_reported_ = tls_->counters().reload_failures;
    const std::string line = "certificate reload failed, the old ones stay: " + tls_->last_reload_error();
    std::fprintf(stderr, "mmwatch: %s\n", line.c_str());
    events_.record(files::EventKind::tls_reload, "tls", line, unix_ms);
}

// A batch the remote_write receiver refused (4xx): logged once per refusal.
// A spool outage: on stderr too, once when it begins and once when it ends.
void Daemon::report_push_refusals(int64_t unix_ms) {
    for (const push::Refusal& r : pusher_.take_refusals())
        events_.record(files::EventKind::limit, r.url, "remote_write refused a batch: " + std::string(r.message), unix_ms);
    for (const push::SpoolNote& n : pusher_.take_spool_notes()) {
        std::fprintf(stderr, "mmwatch: %s\n", n.line.c_str());
        events_.record(files::EventKind::spool, n.url, n.line, unix_ms);
    }
}

// The policy at the daemon's callbacks (base/guard.hpp): memory running
// out or an exception skips the rest of the callback's work, counted; the
// loop, the listeners and the next tick go on. `where` names the callback
// for the fault-injection seam.
template <typename F>
void Daemon::guarded(std::string_view where, F&& work) noexcept {
    base::guarded(
        [&] {
            if (fault_injection_) fault_injection_(where);
            work();
        },
        [this](base::Failure f) {
            ++(f == base::Failure::out_of_memory ? stats_.tick_alloc_failures : stats_.tick_exceptions);
        });
}

void Daemon::on_inotify(uv_poll_t* p, int status, int) {
    auto* d = static_cast<Daemon*>(p->data);
    if (status < 0) return;
    d->guarded("inotify", [d] {
        d->watcher_.on_readable(now_from(&d->loop_));
        d->after_watcher_activity();
    });
}

void Daemon::on_tick(uv_timer_t* t) {
    auto* d = static_cast<Daemon*>(t->data);
    d->guarded("tick", [d] { d->tick(); });
}

void Daemon::measure_loop(uint64_t now_ms) {
    if (last_tick_ms_ != 0) {
        const uint64_t due = last_tick_ms_ + options_.interval_ms;
        stats_.loop.observe_lag(now_ms > due ? double(now_ms - due) / 1000.0 : 0.0);
    }
    last_tick_ms_ = now_ms;
    const uint64_t t_ns = uv_hrtime();
    const uint64_t idle_ns = uv_metrics_idle_time(&loop_);
    if (last_tick_ns_ != 0 && t_ns > last_tick_ns_) {
        const double busy = 1.0 - double(idle_ns - last_idle_ns_) / double(t_ns - last_tick_ns_);
        stats_.loop.busy_ratio = busy < 0 ? 0 : busy > 1 ? 1 : busy;
    }
    last_tick_ns_ = t_ns;
    last_idle_ns_ = idle_ns;
}

// Right before each poll: the time since the last one, less what poll
// waited, is what the turn's callbacks took (mmwatch_loop_turn_seconds);
// the thread's CPU time meanwhile, how much of it was the loop's work.
void Daemon::on_turn(uv_prepare_t* p) {
    auto* d = static_cast<Daemon*>(p->data);
    const uint64_t t = uv_hrtime(), idle = uv_metrics_idle_time(&d->loop_), cpu = base::thread_cpu_ns();
    if (d->turn_ns_ != 0) {
        const uint64_t wall = t - d->turn_ns_, waited = idle - d->turn_idle_ns_;
        d->stats_.loop.turns.observe_ns(wall > waited ? wall - waited : 0);
        d->stats_.loop.turns_cpu.observe_ns(cpu - d->turn_cpu_ns_);
    }
    d->turn_budget_.begin_turn();
    d->turn_ns_ = t;
    d->turn_idle_ns_ = idle;
    d->turn_cpu_ns_ = cpu;
}

void Daemon::tick() {
    const base::Now now = now_from(&loop_);
    measure_loop(now.mono_ms);
    watcher_.tick(now);
    history_.tick(now.unix_ms());
    after_watcher_activity();
    report_tls_reloads(now.unix_ms());
    report_push_refusals(now.unix_ms());
    if (int err = events_.flush(); err && !event_log_error_reported_) {
        // Reported once; later failures are only counted.
        std::fprintf(stderr, "mmwatch: writing --event-log %s failed: %s (counted from now on)\n",
                     options_.event_log.c_str(), std::strerror(err));
        event_log_error_reported_ = true;
    }
}

void Daemon::after_watcher_activity() {
    page_.refresh_plan(now_from(&loop_).unix_ms());
    page_.release_outdated_bodies();
    // One line each time the directory is found on a disk-backed
    // filesystem: at start and whenever it is recovered.
    if (watcher_.counters().disk_backed_found != disk_backed_reported_) {
        disk_backed_reported_ = watcher_.counters().disk_backed_found;
        std::fprintf(stderr,
                     "mmwatch: warning: %s is not on tmpfs: producers' stores to mapped files may wait on disk "
                     "writeback; put the directory on tmpfs (e.g. /run) (docs/operations.md)\n",
                     options_.dir.c_str());
    }
}

void Daemon::on_signal(uv_signal_t* s, int) {
    auto* d = static_cast<Daemon*>(s->data);
    d->guarded("signal", [d] { d->stop(); });
}

void Daemon::on_sighup(uv_signal_t* s, int) {
    auto* d = static_cast<Daemon*>(s->data);
    d->guarded("sighup", [d] { d->reload(now_from(&d->loop_).unix_ms()); });
}

// SIGHUP: said on stderr and in the event log, counted; a failure keeps
// everything as it was.
void Daemon::reload(int64_t unix_ms) {
    std::string error;
    const bool ok = reload_web(error);
    ++stats_.web_config_reloads[ok ? 0 : 1];
    const std::string line = ok ? "SIGHUP: --web-config " + options_.web_config + " and its certificates read again"
                                : "SIGHUP: --web-config not reloaded, the old one stays: " + error;
    std::fprintf(stderr, "mmwatch: %s\n", line.c_str());
    events_.record(files::EventKind::reload, "web_config", line, unix_ms);
}

// The new config takes effect for connections and requests from now on.
// What a running listener cannot take (TLS or basic auth turned on or
// off) needs a restart, and is refused whole.
bool Daemon::reload_web(std::string& error) {
    if (options_.web_config.empty()) {
        error = "no --web-config was given";
        return false;
    }
    WebConfig web;
    if (!load_web_config(options_.web_config, web, error)) return false;
    if (web.tls.has_value() != (tls_ != nullptr)) {
        error = "turning TLS on or off needs a restart";
        return false;
    }
    if (web.auth.users.empty() != (auth_ == nullptr)) {
        error = "turning basic auth on or off needs a restart";
        return false;
    }
    if (tls_ && !tls_->replace(*web.tls, error)) return false;
    if (auth_) {
        web.auth.healthy_without_auth = options_.healthy_without_auth;
        auth_->replace(std::move(web.auth));
    }
    for (http::Server* s : {server_.get(), otlp_server_.get()})
        if (s) s->set_response_headers(web.response_headers);
    return true;
}

void Daemon::stop() {
    if (server_) server_->close();
    if (otlp_server_) otlp_server_->close();
    if (grpc_server_) grpc_server_->close();
    inotify_poll_.close();
    tick_timer_.close();
    turn_probe_.close();
    sigint_.close();
    sigterm_.close();
    sighup_.close();
    sample_timer_.close();
    sample_idle_.close();
    // Queries still running are answered 503 before the store they read goes.
    router_.attach_query(nullptr);
    page_.attach_query_api(nullptr);
    query_api_.reset();
    // SIGTERM: what the store holds goes to --history-dir before the exit.
    history_.close();
    pusher_.close();
    (void)events_.flush();
    watcher_.close();
}

}  // namespace mmwatch::daemon
