// The Prometheus HTTP API over the history store (docs/query.md):
//   GET/POST /api/v1/query, /api/v1/query_range   PromQL, evaluated in slices
//   GET/POST /api/v1/series, /api/v1/labels, /api/v1/label/<name>/values
//   GET      /api/v1/status/buildinfo, /api/v1/metadata (the families /metrics serves)
// in Prometheus's JSON shapes and error types. A query or a series/labels
// lookup is answered later (http::Deferred): each loop turn runs one
// slice of each (about a millisecond of work: base::kDefaultQueryWorkPerSlice
// for a query, Lookup's batches for a lookup), so a heavy request never
// holds the loop. Budgets: samples per query
// (--query-max-samples), wall time (--query-timeout) and queries at once
// (--query-max-concurrency); every refusal has a reason and a counter,
// exported even at zero (the daemon's /metrics: daemon/query_metrics.cpp).
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/api_json.hpp"
#include "api/history_storage.hpp"
#include "api/live_storage.hpp"
#include "api/metadata.hpp"
#include "api/lookup.hpp"
#include "base/duration_histogram.hpp"
#include "base/limits.hpp"
#include "base/turn_budget.hpp"
#include "history/history_store.hpp"
#include "http/deferred.hpp"
#include "http/handler.hpp"
#include "http/uv_handle.hpp"
#include "promql/engine.hpp"

namespace mmwatch::api {

struct ApiOptions {
    int64_t max_samples = base::kDefaultQueryMaxSamples;
    int64_t timeout_ms = base::kDefaultQueryTimeoutMs;
    size_t max_concurrent = base::kDefaultQueryConcurrency;
    int64_t work_per_slice = base::kDefaultQueryWorkPerSlice;
    uint64_t slice_ns = base::kDefaultQuerySliceNs;  // promql::EngineOptions::slice_ns
    std::string version;  // for buildinfo
    // The live values at `t_ms` (live_storage.hpp), asked when a query
    // reaches within kLiveQueryWindowMs of now; null or empty: none.
    std::function<std::shared_ptr<const LivePoints>(int64_t t_ms)> live;
    // The families served now, for /api/v1/metadata; null: none.
    std::function<void(std::vector<MetricMetadata>& out)> metadata;
};

// Why an API request was not answered with data.
enum class Refusal : uint8_t {
    bad_request,   // bad_data: a parameter or the query text
    max_samples,   // execution: the query would hold more than --query-max-samples
    timeout,       // timeout: past --query-timeout
    concurrency,   // unavailable: --query-max-concurrency queries already running
    execution,     // execution: any other evaluation error
    client_gone,   // the connection closed before the answer
};
inline constexpr size_t kRefusalCount = 6;
[[nodiscard]] std::string_view refusal_name(Refusal r) noexcept;

enum class Endpoint : uint8_t { query, query_range, series, labels, label_values, buildinfo, metadata };
inline constexpr size_t kEndpointCount = 7;
[[nodiscard]] std::string_view endpoint_name(Endpoint e) noexcept;

// The work the API does in one loop callback, each timed in the loop
// thread's CPU time (mmwatch_api_work_cpu_seconds): the loop's own share
// of how long the callback held it.
enum class Work : uint8_t {
    parse,     // parse, check and prepare a query (the request's callback)
    live,      // collect the live values for a query near now (the request's callback)
    evaluate,  // one slice of a query
    answer,    // one part of a query's answer JSON
    lookup,    // one batch of a series/labels lookup
    release,   // the finished queries and lookups freed (a turn's)
};
inline constexpr size_t kWorkCount = 6;
[[nodiscard]] std::string_view work_name(Work w) noexcept;

struct ApiCounters {
    uint64_t requests[kEndpointCount] = {};
    uint64_t refused[kRefusalCount] = {};
    uint64_t slices = 0;
    uint64_t samples_peak_max = 0;  // the largest peak any query had
    uint64_t live_queries = 0;      // queries that saw live points
    base::DurationHistogram work_cpu[kWorkCount];
};

class QueryApi final : public http::Handler {
public:
    // `loop` steps the queries (null: the caller calls step_all, as tests
    // do). Both outlive the handler.
    QueryApi(history::Store& store, uv_loop_t* loop, ApiOptions options);
    ~QueryApi();
    QueryApi(const QueryApi&) = delete;
    QueryApi& operator=(const QueryApi&) = delete;

    // For /api/v1/ paths (the daemon's routes hand them over).
    [[nodiscard]] http::Response respond(const http::Request& req) override;
    // Slices of the running queries, round robin, for about
    // base::kQueryTurnNs; finished ones are answered. True while any is
    // still running.
    bool step_all(uint64_t now_ms);
    // The loop's turns are shared (base/turn_budget.hpp): step_all runs
    // from the idle handle only in turns the budget lets it.
    void share_turns(base::TurnBudget& budget) { turns_.join(budget, "query"); }

    [[nodiscard]] size_t running() const noexcept { return running_.size(); }
    [[nodiscard]] const ApiCounters& counters() const noexcept { return counters_; }
    // The wall clock a query without time= is evaluated at (tests pin it).
    void set_clock_for_tests(int64_t now_ms) noexcept { fixed_now_ms_ = now_ms; }

private:
    // A query, or a series/labels lookup, and the answer it owes.
    struct Running {
        std::unique_ptr<LiveStorage> storage;  // the query's, when it has live points (outlives it)
        std::unique_ptr<promql::Query> query;
        std::unique_ptr<Lookup> lookup;
        std::shared_ptr<http::Deferred> answer;
        bool writing = false;  // evaluated: its answer is being written (write_answer)
        AnswerCursor cursor;
        std::string body;
        bool freeing = false;  // answered or refused: its answer is freed a part a turn
        bool done = false;
    };
    http::Response query(const http::Request& req, bool range);
    http::Response series(const http::Request& req);
    http::Response labels(const http::Request& req, std::string_view value_of);
    http::Response buildinfo();
    http::Response metadata(const http::Request& req);
    http::Response refuse(Refusal why, ApiError type, std::string_view message);
    http::Response too_many();
    http::Response start(Running r);
    http::Response start_query(std::unique_ptr<promql::Query> q, std::unique_ptr<LiveStorage> storage);
    [[nodiscard]] std::unique_ptr<LiveStorage> live_storage(int64_t end_ms);
    http::Response start_lookup(std::unique_ptr<Lookup> l);
    void step_one(Running& r, uint64_t now_ms);
    void finish(Running& r);
    void free_part(Running& r);
    bool write_answer(Running& r);
    [[nodiscard]] int64_t now_ms() const;
    static void on_idle(uv_idle_t* h);

    history::Store& store_;
    HistoryStorage storage_;
    uv_loop_t* loop_;
    ApiOptions options_;
    ApiCounters counters_;
    std::vector<Running> running_;
    size_t next_ = 0;  // the query whose slice comes first next turn
    http::UvHandle<uv_idle_t> idle_;
    base::TurnShare turns_;
    // The live values last collected: for which loop turn and moment.
    struct SharedLive {
        uint64_t turn = 0;
        int64_t t_ms = 0;
        std::weak_ptr<const LivePoints> points;
    } shared_live_;
    int64_t fixed_now_ms_ = INT64_MIN;
};

}  // namespace mmwatch::api
