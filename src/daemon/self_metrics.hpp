// mmwatch's own metrics on /metrics: one counter for every rejection reason
// and every limit, all exported from the first scrape, even at zero. The
// counters belong to their owners (the watcher, each listener, the page);
// this file only names and renders them.
#pragma once

#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/duration_histogram.hpp"
#include "base/turn_budget.hpp"
#include "files/file_counters.hpp"
#include "files/event_log.hpp"
#include "http/h2_listener.hpp"
#include "http/basic_auth.hpp"
#include "http/server_counters.hpp"
#include "http/tls.hpp"
#include "prom/writer.hpp"

namespace mmwatch::daemon {

// What the /metrics page counts (metrics_page.hpp).
struct PageCounters {
    // GET /metrics served, by format and by encoding (0 identity, 1 gzip).
    uint64_t scrapes[prom::kFormatCount][2] = {};
    uint64_t renders[prom::kFormatCount] = {};  // expositions rendered (at most one per snapshot and format)
    uint64_t compressions[prom::kFormatCount] = {};  // gzip bodies made (at most one per render)
    uint64_t body_bytes[prom::kFormatCount][2] = {};  // gauge: the latest body's size, plain and gzipped
    uint64_t series_exposed = 0;        // gauge, file series in the last plan
    uint64_t type_conflicts = 0;
    uint64_t duplicate_series = 0;
    uint64_t series_limit = 0;          // --max-series
    uint64_t response_bytes_limit = 0;  // --max-response-bytes: exposition cut short
    uint64_t render_alloc_failures = 0; // memory ran out rendering: the last body is served again
};

// How late the loop runs, measured by the daemon at every tick: the tick
// timer's lateness (the time a callback held the loop past its turn) and
// the share of the last interval spent in callbacks.
struct LoopStats {
    static constexpr double kBoundsSeconds[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
    static constexpr size_t kBuckets = std::size(kBoundsSeconds);
    uint64_t lag_buckets[kBuckets + 1] = {};  // per bucket, the last one +Inf (not cumulative)
    uint64_t lag_count = 0;
    double lag_sum_seconds = 0;
    double busy_ratio = 0;
    // Each loop turn's time in callbacks (its wall time less poll's wait):
    // the most a request that became readable meanwhile waited for the
    // loop; and the loop thread's CPU time in it (the rest of the wall time
    // the machine ran something else).
    base::DurationHistogram turns;
    base::DurationHistogram turns_cpu;

    void observe_lag(double seconds) noexcept {
        size_t i = 0;
        while (i < kBuckets && seconds > kBoundsSeconds[i]) ++i;
        ++lag_buckets[i];
        ++lag_count;
        lag_sum_seconds += seconds;
    }
};

// The sample pipeline's collections (daemon/sampler.hpp), counted there.
struct SamplerCounters {
    uint64_t batches = 0;   // collected and handed to their consumers
    uint64_t slices = 0;    // loop turns collections were cut into
    uint64_t restarts = 0;  // collections begun again: the file plan changed under one
    uint64_t failures = 0;  // collections abandoned: memory ran out or an exception (that round is skipped)
    uint64_t whole = 0;     // collections made in one turn after kMaxSampleRestarts restarts
};

struct Listener {
    std::string_view name;  // "metrics" (--listen), "otlp" (--otlp-listen) or "otlp_grpc" (--otlp-grpc-listen)
    const http::ServerCounters* counters;
};

struct SelfMetricsInput {
    const files::FileCounters& files;
    uint64_t tick_alloc_failures;  // memory ran out in a tick (watcher, store): the rest waits for the next
    uint64_t tick_exceptions;      // an exception stopped a daemon callback: the rest waits for the next
    uint64_t push_failures;        // memory or an exception stopped a remote_write callback
    const LoopStats& loop;
    const PageCounters& page;
    std::span<const Listener> listeners;
    const files::EventLog& events;
    std::string_view version;
    int64_t start_unix_ns = 0;
    // --web-config's counters; null when TLS or basic auth is off (their
    // series are then exported at zero).
    const http::TlsCounters* tls = nullptr;
    const uint64_t* auth = nullptr;  // by http::AuthResult
    const uint64_t* reloads = nullptr;  // SIGHUP re-reads of --web-config: ok, failed
    const SamplerCounters* sampler = nullptr;  // null: exported at zero
    const base::TurnBudget* turn_budget = nullptr;  // null: every worker's series at zero
};

// What the daemon itself keeps for its self-metrics: how its loop runs,
// memory failures in its callbacks, its start and version, and the
// counters of the parts it starts (listeners, TLS, basic auth), added as
// they start. The page reads it (PageParts).
struct DaemonStats {
    LoopStats loop;
    uint64_t tick_alloc_failures = 0;  // memory ran out in a callback: the rest waited for the next
    uint64_t tick_exceptions = 0;      // an exception stopped a callback: the rest waited for the next
    int64_t start_unix_ns = 0;
    std::string_view version;
    std::vector<Listener> listeners;   // --listen, then --otlp-listen and --otlp-grpc-listen when asked for
    const http::TlsCounters* tls = nullptr;
    const uint64_t* auth = nullptr;
    uint64_t web_config_reloads[2] = {};  // SIGHUP: ok, failed
    const http::H2Listener* grpc = nullptr;  // --otlp-grpc-listen's sessions
    const SamplerCounters* sampler = nullptr;  // null until the sampler starts (exported at zero)
    const base::TurnBudget* turn_budget = nullptr;  // the loop turn's budget, once the workers joined it
};

// Family names of the self-metrics (the daemon's and remote_write's):
// files may not use them.
[[nodiscard]] const std::unordered_set<std::string>& self_metric_names();

// Appends every self-metric, with HELP and TYPE, plus process_* metrics
// read from /proc/self.
void render_self_metrics(const SelfMetricsInput& in, prom::Writer& out);

}  // namespace mmwatch::daemon
