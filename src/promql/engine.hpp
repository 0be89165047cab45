// A PromQL query, evaluated in slices. Create it (parsing and checking
// happen then), then call step() once per loop turn until it returns true:
// each call does at most EngineOptions::work_per_slice units of work
// (samples and steps touched) and returns. The query holds its storage
// reference, its coroutine frames and its partial results between calls;
// destroying it at any time frees everything.
//
//     auto q = Query::instant(store, "sum(rate(x[5m]))", t_ms, opts, &err);
//     while (!q->step(now_ms())) { /* the loop serves others */ }
//     if (q->error()) ... else use q->result();
//
// Semantics are Prometheus 3's (promql/engine.go), floats only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.hpp"
#include "promql/code_place.hpp"
#include "promql/parser.hpp"
#include "promql/storage.hpp"
#include "promql/value.hpp"

namespace mmwatch::promql {

// Defaults and their reasons: src/base/limits.hpp.
struct EngineOptions {
    // Samples held at once by one query (Prometheus's --query.max-samples).
    int64_t max_samples = base::kDefaultQueryMaxSamples;
    // Wall time a query may take, slices and waits included.
    int64_t timeout_ms = base::kDefaultQueryTimeoutMs;
    // How far back an instant selector looks for a sample.
    int64_t lookback_delta_ms = base::kDefaultQueryLookbackMs;
    // Step of a subquery written without one ([1h:]).
    int64_t default_subquery_step_ms = base::kDefaultSubqueryStepMs;
    // Units of work (samples, steps, results) one step() call may do.
    int64_t work_per_slice = base::kDefaultQueryWorkPerSlice;
    // Nanoseconds one step() may run before it ends at its next tick (the
    // clock is read every Budget::kClockCheckUnits units); 0: units only.
    // Off here so that tests count units; the daemon sets
    // base::kDefaultQuerySliceNs.
    uint64_t slice_ns = 0;
    // The monotonic clock for slice_ns (null: CLOCK_MONOTONIC); tests give
    // their own.
    uint64_t (*clock_ns)() noexcept = nullptr;
    // Keep __name__ until the end and drop it then (Prometheus's
    // promql-delayed-name-removal, off by default there too).
    bool delayed_name_removal = false;
    ParseOptions parse;
};

// Prometheus's API error types for a query that fails.
enum class ErrorType { bad_data, execution, timeout, canceled, internal };
[[nodiscard]] std::string_view error_type_name(ErrorType t) noexcept;

struct QueryError {
    ErrorType type = ErrorType::execution;
    std::string message;
};

struct Annotation {
    bool warning = false;  // otherwise an info
    std::string message;   // "PromQL warning: ..." / "PromQL info: ..."
};

struct QueryResult {
    enum class Kind { scalar, vector, matrix, string };
    Kind kind = Kind::vector;
    double scalar = 0;
    int64_t t = 0;  // of a scalar or string
    std::string string;
    Vector vector;  // instant query, instant vector: in Prometheus's order
    Matrix matrix;  // range query, or a range vector: sorted by labels
    std::vector<Annotation> annotations;
};

struct QueryContext;
class Query {
public:
    // An instant query at `t_ms`; null with `error` set when the text does
    // not parse or check.
    [[nodiscard]] static std::unique_ptr<Query> instant(Storage& storage, std::string_view text, int64_t t_ms,
                                                        const EngineOptions& opts, QueryError* error);
    // A range query from `start_ms` to `end_ms` every `step_ms`.
    [[nodiscard]] static std::unique_ptr<Query> range(Storage& storage, std::string_view text, int64_t start_ms,
                                                      int64_t end_ms, int64_t step_ms, const EngineOptions& opts,
                                                      QueryError* error);
    // A query over an already parsed tree (the test runner rewrites trees).
    [[nodiscard]] static std::unique_ptr<Query> from_tree(Storage& storage, ExprPtr expr, int64_t start_ms,
                                                          int64_t end_ms, int64_t step_ms, const EngineOptions& opts,
                                                          QueryError* error);
    ~Query();
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    // Runs one slice. `now_ms` is a monotonic clock, for the timeout (the
    // first call starts it). True once the query has finished.
    bool step(uint64_t now_ms);
    // Runs slices until done (tests, the conformance runner).
    void run_to_end(uint64_t now_ms);
    // Stops the query; the next step() finishes it as canceled.
    void cancel() noexcept { cancelled_ = true; }

    [[nodiscard]] bool done() const noexcept { return done_; }
    [[nodiscard]] const QueryError* error() const noexcept { return error_ ? &*error_ : nullptr; }
    [[nodiscard]] const QueryResult& result() const noexcept { return result_; }
    // Frees the answer from its end, at most `max_series` series or about
    // `max_points` points a call, then what a failed evaluation left (its
    // selected series' label sets, its operators' label caches; a finished
    // one frees them itself); true once nothing is left. The daemon frees
    // a written answer a part a loop turn: 10,000 series of 240 points
    // freed with the query took 4 ms, 100,000 series' label sets 10 ms.
    bool free_result(size_t max_series, size_t max_points);
    [[nodiscard]] uint64_t slices() const noexcept;
    // Slices ended by slice_ns rather than by their units.
    [[nodiscard]] uint64_t timed_out_slices() const noexcept;
    // Where the evaluator stopped the last slice (a budget tick's source
    // line; meaningless once done()): names what a long slice was doing.
    [[nodiscard]] CodePlace parked_at() const noexcept;
    // The most samples the query held at once (Prometheus's peak samples).
    [[nodiscard]] int64_t peak_samples() const noexcept;

private:
    Query();
    bool finish(std::optional<QueryError> error);

    std::unique_ptr<QueryContext> cx_;
    std::optional<QueryError> error_;
    QueryResult result_;
    uint64_t deadline_ms_ = 0;
    bool range_ = false;
    bool started_ = false;
    bool done_ = false;
    bool cancelled_ = false;
};

}  // namespace mmwatch::promql
