// The evaluator: Prometheus's engine.go evaluator, node by node, as
// coroutines over a shared query context. Private to src/promql; the
// public face is engine.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "promql/ast.hpp"
#include "promql/derived_labels.hpp"
#include "promql/engine.hpp"
#include "promql/task.hpp"

namespace mmwatch::promql {

// A selector's series, selected once per query on first evaluation.
struct SelectedSeries {
    std::vector<Labels> labels;
    std::vector<uint64_t> refs;
};

class Annotations {
public:
    void warn(std::string message) { add(true, "PromQL warning: " + std::move(message)); }
    void info(std::string message) { add(false, "PromQL info: " + std::move(message)); }
    [[nodiscard]] const std::vector<Annotation>& list() const noexcept { return list_; }

private:
    void add(bool warning, std::string message);
    std::vector<Annotation> list_;
};

// Suspends the failing coroutine for good: nothing resumes it, the query
// sees its error and destroys the frames.
struct Halt {
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const noexcept {}
};

struct QueryContext {
    QueryContext(Storage& s, const EngineOptions& o) : storage(s), opts(o), budget(o.work_per_slice, o.slice_ns, o.clock_ns) {}
    Storage& storage;
    EngineOptions opts;
    Budget budget;
    ExprPtr expr;
    int64_t start = 0, end = 0, interval = 0;
    // Samples held now and at most (Prometheus's currentSamples, peak).
    int64_t current_samples = 0;
    int64_t peak_samples = 0;
    std::optional<QueryError> error;
    Annotations annotations;
    std::vector<std::unique_ptr<SelectedSeries>> selections;
    // The label caches of the operators (Evaluator::label_cache): each
    // freed in parts once its operator is done, or, when the query failed
    // first, after the query (Query::free_result).
    std::vector<std::unique_ptr<DerivedLabels>> label_caches;
    Task<Matrix> top;

    [[nodiscard]] Halt fail(ErrorType type, std::string message) {
        if (!error) error = QueryError{type, std::move(message)};
        return {};
    }
    [[nodiscard]] Halt too_many_samples() {
        return fail(ErrorType::execution, "query processing would load too many samples into memory in query execution");
    }
    [[nodiscard]] bool over_limit() const noexcept { return current_samples > opts.max_samples; }
    void update_peak() noexcept {
        if (current_samples > peak_samples) peak_samples = current_samples;
    }
};

// What an instant-vector function sees at one step.
struct StepInput {
    int64_t ts = 0;
    std::vector<Vector> vectors;              // one per argument (empty for strings)
    std::vector<std::vector<uint32_t>> sigs;  // signature ordinal per sample, when matching
    uint32_t num_sigs = 0;
};

// The window of one series a range function sees at one step.
struct RangeWindow {
    std::span<const FPoint> points;
    int64_t ts = 0;
    int64_t range_ns = 0;
    int64_t offset_ns = 0;
    bool smoothed = false;
    bool anchored = false;
    std::span<const double> scalars;  // the other (scalar) arguments at this step
};

// The range-vector argument of a function call (eval_call.cpp).
struct RangeArg {
    Expr* expr = nullptr;
    VectorSelector* vs = nullptr;  // from the store, or else:
    Matrix sub;                    // a subquery's result
    int64_t range_ns = 0;
    int64_t offset_ns = 0;
    std::optional<int64_t> at;
    bool anchored = false;
    bool smoothed = false;
};

class Evaluator {
public:
    Evaluator(QueryContext& cx, int64_t start, int64_t end, int64_t interval) noexcept
        : cx_(cx), start_(start), end_(end), interval_(interval) {}
    Task<Matrix> eval(Expr& e);
    // Evaluates a subquery's inner expression on its own grid.
    Task<Matrix> run_subquery(SubqueryExpr& s);

    [[nodiscard]] bool instant() const noexcept { return start_ == end_; }
    // sort_by_labels (value.hpp) in parts: a range query's answer of
    // 100,000 series sorted at once held the loop 20 ms.
    Task<bool> sort_series(Matrix& m);

    // Runs `fn(in, out)` at every step over the values of `exprs` (string
    // arguments are skipped), Prometheus's rangeEval. `fn` returns an error
    // message, or an empty string. Defined in range_eval.hpp.
    template <class F>
    Task<Matrix> range_eval(const VectorMatching* matching, F fn, std::vector<Expr*> exprs);

private:
    Task<bool> select(VectorSelector& vs);
    Task<Matrix> eval_number(NumberLiteral& n);
    Task<Matrix> eval_vector_selector(VectorSelector& vs);
    Task<Matrix> eval_matrix_selector(MatrixSelector& m);
    Task<Matrix> eval_unary(UnaryExpr& u);
    Task<Matrix> eval_binary(BinaryExpr& b);
    Task<Matrix> eval_aggregate(AggregateExpr& a);
    Task<Matrix> eval_aggregate_k(AggregateExpr& a, Matrix input, std::vector<double> params);
    Task<Matrix> eval_count_values(AggregateExpr& a);
    Task<Matrix> eval_call(Call& c);
    Task<Matrix> eval_range_call(Call& c, size_t matrix_arg);
    Task<bool> range_call_series(Call& c, const RangeArg& arg, size_t i,
                                 const std::vector<std::vector<double>>& scalars, std::vector<FPoint>& out);
    Task<Matrix> eval_timestamp_of_selector(VectorSelector& vs);
    Task<Matrix> eval_label_replace(Call& c);
    Task<Matrix> eval_label_join(Call& c);
    Task<Matrix> eval_step_invariant(StepInvariantExpr& e);
    Task<std::vector<double>> scalar_values(Expr* e);
    Task<Matrix> merge_same_labelsets(Matrix m);
    // Frees `m` kReleaseChunkSeries series a tick (range_eval.hpp).
    Task<bool> release(Matrix m);
    // A step's vectors, once range_eval is done with them (range_eval.hpp).
    Task<bool> release_step(StepInput& in, Vector& out);
    // A new label cache for one operator, owned by the query, and its
    // release a part a tick once the operator is done with it.
    DerivedLabels& label_cache();
    Task<bool> release(DerivedLabels& d);

    QueryContext& cx_;
    int64_t start_;
    int64_t end_;
    int64_t interval_;
};

// Series that ended up with one label set are merged; the same timestamp
// twice is Prometheus's "vector cannot contain metrics with the same
// labelset". False on that error.
[[nodiscard]] bool merge_series_with_same_labelset(Matrix& m);

inline constexpr std::string_view kSameLabelsetError = "vector cannot contain metrics with the same labelset";

}  // namespace mmwatch::promql
