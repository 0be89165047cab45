// A query's life: parse and check, refuse what mmwatch cannot evaluate,
// preprocess, then run the evaluator's coroutine one slice per step()
// and shape the answer as Prometheus's execEvalStmt does.
#include "promql/engine.hpp"

#include <new>

#include "promql/preprocess.hpp"
#include "promql/range_eval.hpp"

namespace mmwatch::promql {

namespace {

// Frees up to `n` of what an evaluation kept for its whole life (the
// selected series' label sets) or that a failed one left (its operators'
// label caches); true once nothing is left. The SelectedSeries stay,
// empty: the tree points at them.
bool free_kept(QueryContext& cx, size_t n) {
    for (auto& sel : cx.selections) {
        while (n > 0 && !sel->labels.empty()) {
            sel->labels.pop_back();
            --n;
        }
        if (!sel->labels.empty()) return false;
        std::vector<Labels>().swap(sel->labels);
        std::vector<uint64_t>().swap(sel->refs);
    }
    for (auto& cache : cx.label_caches)
        if (!cache->release_part(n)) return false;
    return true;
}

// The answer sorted here, in parts (with names removed late, after they
// are: Query::step), and the selected series' label sets freed in parts:
// 100,000 freed with the query took 10 ms. (Freed after the answer
// instead, they held a query's --query-max-concurrency slot ten turns
// longer, and eight clients' next queries were refused meanwhile.)
Task<Matrix> evaluate(QueryContext& cx, bool sorted) {
    Evaluator ev(cx, cx.start, cx.end, cx.interval);
    Matrix m = co_await ev.eval(*cx.expr);
    if (sorted && !cx.opts.delayed_name_removal) (void)co_await ev.sort_series(m);
    while (!free_kept(cx, kReleaseChunkSeries)) co_await cx.budget.tick(kReleaseSeriesWork * int64_t(kReleaseChunkSeries));
    co_return m;
}

// What parses but mmwatch does not evaluate, as a bad_data message
// starting "unsupported: " (docs/query.md lists them).
std::string unsupported(Expr& root) {
    std::string why;
    inspect(root, [&](Expr& e, const std::vector<Expr*>&) {
        if (!why.empty()) return;
        if (e.kind == NodeKind::call && !as<Call>(e).func->unsupported.empty()) {
            const Function& f = *as<Call>(e).func;
            why = "unsupported: " + std::string(f.name) + "(): " + std::string(f.unsupported);
        }
    });
    return why;
}

const Expr& unwrap_parens(const Expr& e) {
    const Expr* p = &e;
    while (p->kind == NodeKind::paren) p = as<ParenExpr>(*p).expr.get();
    return *p;
}

}  // namespace

std::string_view error_type_name(ErrorType t) noexcept {
    switch (t) {
    case ErrorType::bad_data: return "bad_data";
    case ErrorType::execution: return "execution";
    case ErrorType::timeout: return "timeout";
    case ErrorType::canceled: return "canceled";
    case ErrorType::internal: return "internal";
    }
    return "internal";
}

Query::Query() = default;
Query::~Query() {
    // The frames first: they refer to the context.
    if (cx_) cx_->top = Task<Matrix>();
}

uint64_t Query::slices() const noexcept { return cx_ ? cx_->budget.slices() : 0; }
uint64_t Query::timed_out_slices() const noexcept { return cx_ ? cx_->budget.timed_out() : 0; }
CodePlace Query::parked_at() const noexcept { return cx_ ? cx_->budget.parked_at() : CodePlace{}; }
int64_t Query::peak_samples() const noexcept { return cx_ ? cx_->peak_samples : 0; }

std::unique_ptr<Query> Query::instant(Storage& storage, std::string_view text, int64_t t_ms, const EngineOptions& opts,
                                      QueryError* error) {
    Parsed p = parse(text, opts.parse);
    if (!p.ok()) {
        if (error) *error = {ErrorType::bad_data, p.error.to_string(text)};
        return nullptr;
    }
    return from_tree(storage, std::move(p.expr), t_ms, t_ms, 0, opts, error);
}

std::unique_ptr<Query> Query::range(Storage& storage, std::string_view text, int64_t start_ms, int64_t end_ms,
                                    int64_t step_ms, const EngineOptions& opts, QueryError* error) {
    Parsed p = parse(text, opts.parse);
    if (!p.ok()) {
        if (error) *error = {ErrorType::bad_data, p.error.to_string(text)};
        return nullptr;
    }
    return from_tree(storage, std::move(p.expr), start_ms, end_ms, step_ms, opts, error);
}

std::unique_ptr<Query> Query::from_tree(Storage& storage, ExprPtr expr, int64_t start_ms, int64_t end_ms,
                                        int64_t step_ms, const EngineOptions& opts, QueryError* error) {
    auto refuse = [&](std::string message) -> std::unique_ptr<Query> {
        if (error) *error = {ErrorType::bad_data, std::move(message)};
        return nullptr;
    };
    const bool is_range = step_ms > 0;
    const ValueType type = expr->type();
    if (is_range && type != ValueType::vector && type != ValueType::scalar)
        return refuse("invalid expression type \"" + std::string(documented_type(type)) +
                      "\" for range query, must be Scalar or instant Vector");
    if (is_range && end_ms < start_ms) return refuse("end timestamp must not be before start time");
    if (std::string why = unsupported(*expr); !why.empty()) return refuse(std::move(why));
    std::string perr;
    if (!preprocess(expr, start_ms, end_ms, step_ms, opts.lookback_delta_ms, perr)) return refuse(std::move(perr));
    std::unique_ptr<Query> q(new Query());
    q->cx_ = std::make_unique<QueryContext>(storage, opts);
    QueryContext& cx = *q->cx_;
    cx.start = start_ms;
    cx.end = end_ms;
    cx.interval = is_range ? step_ms : 1;
    q->range_ = is_range;
    cx.expr = std::move(expr);
    const Expr& top = unwrap_parens(*cx.expr);
    if (top.kind == NodeKind::string) {
        q->result_.kind = QueryResult::Kind::string;
        q->result_.string = as<StringLiteral>(top).val;
        q->result_.t = start_ms;
        q->done_ = true;
        return q;
    }
    cx.top = evaluate(cx, is_range || type == ValueType::matrix);
    return q;
}

bool Query::finish(std::optional<QueryError> error) {
    error_ = std::move(error);
    done_ = true;
    if (cx_) {
        result_.annotations = cx_->annotations.list();
        cx_->top = Task<Matrix>();  // frees every frame
    }
    return true;
}

bool Query::step(uint64_t now_ms) {
    if (done_) return true;
    if (!started_) deadline_ms_ = now_ms + static_cast<uint64_t>(cx_->opts.timeout_ms);
    if (cancelled_) return finish(QueryError{ErrorType::canceled, "query was canceled in expression evaluation"});
    if (now_ms >= deadline_ms_) return finish(QueryError{ErrorType::timeout, "query timed out in expression evaluation"});
    std::coroutine_handle<> parked = cx_->budget.refill();
    std::coroutine_handle<> h = started_ ? parked : std::coroutine_handle<>(cx_->top.handle());
    started_ = true;
    if (!h) return finish(QueryError{ErrorType::internal, "query stalled: nothing to resume"});
    try {
        h.resume();
    } catch (const std::exception& e) {
        return finish(QueryError{ErrorType::internal, std::string("unexpected error: ") + e.what()});
    }
    if (cx_->error) return finish(cx_->error);
    if (!cx_->top.done()) return false;
    Matrix mat;
    try {
        mat = cx_->top.await_resume();
    } catch (const std::exception& e) {
        return finish(QueryError{ErrorType::internal, std::string("unexpected error: ") + e.what()});
    }
    if (cx_->opts.delayed_name_removal) {
        for (Series& s : mat)
            if (s.drop_name) s.metric = drop_metadata(s.metric);
        if (!merge_series_with_same_labelset(mat))
            return finish(QueryError{ErrorType::execution, std::string(kSameLabelsetError)});
    }
    const ValueType type = cx_->expr->type();
    if (range_ || type == ValueType::matrix) {
        if (cx_->opts.delayed_name_removal) sort_by_labels(mat);
        result_.kind = QueryResult::Kind::matrix;
        result_.matrix = std::move(mat);
    } else if (type == ValueType::scalar) {
        result_.kind = QueryResult::Kind::scalar;
        result_.t = cx_->start;
        result_.scalar = !mat.empty() && !mat[0].floats.empty() ? mat[0].floats[0].f : 0;
    } else {
        result_.kind = QueryResult::Kind::vector;
        for (Series& s : mat)
            if (!s.floats.empty()) result_.vector.push_back({std::move(s.metric), cx_->start, s.floats[0].f, false});
    }
    return finish(std::nullopt);
}

bool Query::free_result(size_t max_series, size_t max_points) {
    size_t points = 0;
    for (size_t n = 0; n < max_series && points < max_points; ++n) {
        if (!result_.matrix.empty()) {
            points += result_.matrix.back().floats.size();
            result_.matrix.pop_back();
        } else if (!result_.vector.empty()) {
            ++points;
            result_.vector.pop_back();
        } else {
            return !done_ || !cx_ || free_kept(*cx_, max_series - n);
        }
    }
    return false;
}

void Query::run_to_end(uint64_t now_ms) {
    while (!step(now_ms)) {
    }
}

}  // namespace mmwatch::promql
