// The daemon owns the libuv loop and everything on it, and wires the parts
// together: the event log, the watcher (polled through its inotify fd), the
// OTLP store and receiver, the gRPC MetricsService, remote_write's pusher,
// the /metrics page, the router, the HTTP servers (--listen, --otlp-listen,
// --otlp-grpc-listen), the sample pipeline, the timers and the signal
// handlers. It is a local in main(). Each part's logic lives in its
// folder; this file starts, ticks and stops them.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>

#include "api/query_api.hpp"
#include "base/turn_budget.hpp"
#include "daemon/history_keeper.hpp"
#include "daemon/grpc_routes.hpp"
#include "daemon/metrics_page.hpp"
#include "daemon/options.hpp"
#include "daemon/routes.hpp"
#include "daemon/sampler.hpp"
#include "daemon/status_routes.hpp"
#include "daemon/self_metrics.hpp"
#include "files/event_log.hpp"
#include "files/watcher.hpp"
#include "grpc/metrics_service.hpp"
#include "http/h2_listener.hpp"
#include "http/server.hpp"
#include "http/uv_handle.hpp"
#include "otlp/receiver.hpp"
#include "otlp/store.hpp"
#include "push/pusher.hpp"

namespace mmwatch::daemon {

class Daemon {
public:
    explicit Daemon(const Options& options);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Opens the directory, binds the listener, arms the timer and signals.
    // On failure returns false with a one-line `error`.
    [[nodiscard]] bool start(std::string& error);
    // Runs the loop until SIGINT or SIGTERM.
    void run();
    [[nodiscard]] const std::string& bound_address() const noexcept { return bound_; }
    // True when --web-config turned TLS on (both listeners speak it).
    [[nodiscard]] bool tls() const noexcept { return tls_ != nullptr; }
    // "HOST:PORT" of --otlp-listen, empty when not asked for.
    [[nodiscard]] const std::string& otlp_bound_address() const noexcept { return otlp_bound_; }
    // The history store, for the query API's handler (src/api/).
    [[nodiscard]] history::Store& history_store() noexcept { return history_.store(); }
    // Its own counters (also on /metrics).
    [[nodiscard]] const DaemonStats& stats() const noexcept { return stats_; }
    // A seam for tests: called at the start of every daemon callback's work
    // with the callback's name ("tick", "inotify", "sample", "signal", and
    // the push callbacks': push::CurlLoop); it may throw to show that the
    // callback's guard holds. Null in mmwatch. After start().
    void set_fault_injection(void (*hook)(std::string_view where)) noexcept {
        fault_injection_ = hook;
        pusher_.set_fault_injection(hook);
    }
    // The pusher, for tests to read its senders' counters.
    [[nodiscard]] const push::Pusher& pusher() const noexcept { return pusher_; }
    // "HOST:PORT" of --otlp-grpc-listen, empty when not asked for.
    [[nodiscard]] const std::string& grpc_bound_address() const noexcept { return grpc_bound_; }

private:
    static void on_inotify(uv_poll_t* p, int status, int events);
    static void on_tick(uv_timer_t* t);
    static void on_sample(uv_timer_t* t);
    static void on_sample_slice(uv_idle_t* h);
    static void on_signal(uv_signal_t* s, int signum);
    template <typename F>
    void guarded(std::string_view where, F&& work) noexcept;
    bool start_web(http::ServerConfig& sc, std::string& error);
    bool start_listeners(std::string& error);
    bool start_grpc(const http::ServerConfig& sc, std::string& error);
    bool start_sampler(std::string& error);
    void start_query_api();
    void tick();
    void measure_loop(uint64_t now_ms);
    void after_watcher_activity();
    void report_tls_reloads(int64_t unix_ms);
    void report_push_refusals(int64_t unix_ms);
    void stop();

    Options options_;
    uv_loop_t loop_{};
    bool loop_ready_ = false;
    // The daemon's own counters, and where the last tick measured the loop.
    DaemonStats stats_;
    uint64_t last_tick_ms_ = 0;
    uint64_t last_idle_ns_ = 0;
    uint64_t last_tick_ns_ = 0;
    // The loop turn probe (on_turn): when the last turn began, poll's idle
    // time and the thread's CPU time then.
    http::UvHandle<uv_prepare_t> turn_probe_;
    // Each turn's busy time, shared by the sliced workers (sampler, push,
    // history, queries, exports); begun by on_turn. The clock is the
    // loop's busy time: wall time less what poll waited.
    base::TurnBudget turn_budget_{[this] { return uv_hrtime() - uv_metrics_idle_time(&loop_); }};
    base::TurnShare sample_turns_;
    uint64_t turn_ns_ = 0;
    uint64_t turn_idle_ns_ = 0;
    uint64_t turn_cpu_ns_ = 0;
    static void on_turn(uv_prepare_t* p);
    // Warnings already given once (stderr, the event log).
    uint64_t disk_backed_reported_ = 0;
    uint64_t tls_reload_failures_reported_ = 0;
    bool event_log_error_reported_ = false;
    // The parts, in the order they are made: each may use those above it.
    files::EventLog events_;
    files::Watcher watcher_;
    otlp::Store otlp_;
    otlp::Receiver receiver_;
    grpc::MetricsService grpc_service_;
    push::Pusher pusher_;
    HistoryKeeper history_;
    MetricsPage page_;
    StatusRoutes status_;
    Router router_;
    OtlpRoutes otlp_routes_;
    GrpcRoutes grpc_routes_;
    // The Prometheus HTTP API over history_'s store: made at start, gone
    // before the store (stop()).
    std::unique_ptr<api::QueryApi> query_api_;
    std::optional<Sampler> sampler_;  // made at start, when a consumer of samples is configured
    http::UvHandle<uv_timer_t> sample_timer_;
    http::UvHandle<uv_idle_t> sample_idle_;  // runs the collection's slices while one is under way
    std::unique_ptr<http::TlsContext> tls_;
    std::unique_ptr<http::BasicAuth> auth_;
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<http::Server> otlp_server_;
    std::unique_ptr<http::H2Listener> grpc_listener_;
    std::unique_ptr<http::Server> grpc_server_;
    http::UvHandle<uv_poll_t> inotify_poll_;
    http::UvHandle<uv_timer_t> tick_timer_;
    http::UvHandle<uv_signal_t> sigint_;
    http::UvHandle<uv_signal_t> sigterm_;
    // SIGHUP: --web-config and its certificates read again (never stops).
    http::UvHandle<uv_signal_t> sighup_;
    static void on_sighup(uv_signal_t* s, int signum);
    void reload(int64_t unix_ms);
    bool reload_web(std::string& error);
    std::string bound_;
    std::string otlp_bound_;
    void (*fault_injection_)(std::string_view where) = nullptr;
    std::string grpc_bound_;
};

}  // namespace mmwatch::daemon
