#include "promql/preprocess.hpp"

#include "promql/go_compat.hpp"

#include <cmath>
#include <limits>
#include <utility>

namespace mmwatch::promql {

namespace {

constexpr int64_t kNsPerMs = 1'000'000;

ExprPtr number(double v, PosRange pos) {
    auto n = std::make_unique<NumberLiteral>();
    n->val = v;
    n->range = pos;
    return n;
}

// start(), end(), range() and step() become the numbers they mean.
void fold_context_functions(ExprPtr& slot, int64_t start, int64_t end, int64_t step) {
    if (slot->kind == NodeKind::call) {
        auto& c = as<Call>(*slot);
        switch (c.func->id) {
        case Fn::start: slot = number(static_cast<double>(start) / 1000, c.range); return;
        case Fn::end: slot = number(static_cast<double>(end) / 1000, c.range); return;
        case Fn::range: slot = number(static_cast<double>(end - start) / 1000, c.range); return;
        case Fn::step: slot = number(start != end ? static_cast<double>(step) / 1000 : 0, c.range); return;
        default: break;
        }
        for (auto& a : c.args) fold_context_functions(a, start, end, step);
        return;
    }
    switch (slot->kind) {
    case NodeKind::binary:
        fold_context_functions(as<BinaryExpr>(*slot).lhs, start, end, step);
        fold_context_functions(as<BinaryExpr>(*slot).rhs, start, end, step);
        break;
    case NodeKind::aggregate:
        fold_context_functions(as<AggregateExpr>(*slot).expr, start, end, step);
        if (as<AggregateExpr>(*slot).param) fold_context_functions(as<AggregateExpr>(*slot).param, start, end, step);
        break;
    case NodeKind::unary: fold_context_functions(as<UnaryExpr>(*slot).expr, start, end, step); break;
    case NodeKind::paren: fold_context_functions(as<ParenExpr>(*slot).expr, start, end, step); break;
    case NodeKind::subquery: fold_context_functions(as<SubqueryExpr>(*slot).expr, start, end, step); break;
    default: break;
    }
}

class Durations {
public:
    Durations(int64_t step_ms, int64_t range_ms) : step_s_(static_cast<double>(step_ms) / 1000),
                                                    range_s_(static_cast<double>(range_ms) / 1000) {}
    bool resolve(const ExprPtr& expr, int64_t& ns, bool allow_negative, std::string& error) const;

private:
    bool value(const Expr& e, double& out, std::string& error) const;
    double step_s_, range_s_;
};

std::string at(const Expr& e) {
    const PosRange p = e.pos();
    return std::to_string(p.start) + ":" + std::to_string(p.end) + ": ";
}

bool Durations::value(const Expr& e, double& out, std::string& error) const {
    if (e.kind == NodeKind::number) {
        out = as<NumberLiteral>(e).val;
        return true;
    }
    const auto& d = as<DurationExpr>(e);
    double l = 0, r = 0;
    if (d.lhs && !value(*d.lhs, l, error)) return false;
    if (d.rhs && !value(*d.rhs, r, error)) return false;
    switch (d.op) {
    case Tok::step: out = step_s_; return true;
    case Tok::range: out = range_s_; return true;
    case Tok::min_of: out = std::fmin(l, r); return true;
    case Tok::max_of: out = std::fmax(l, r); return true;
    case Tok::add: out = d.lhs ? l + r : r; return true;
    case Tok::sub: out = d.lhs ? l - r : -r; return true;
    case Tok::mul: out = l * r; return true;
    case Tok::pow: out = std::pow(l, r); return true;
    case Tok::div:
    case Tok::mod:
        if (r == 0) {
            error = at(e) + (d.op == Tok::div ? "division by zero" : "modulo by zero");
            return false;
        }
        out = d.op == Tok::div ? l / r : std::fmod(l, r);
        return true;
    default: error = "unexpected duration expression operator"; return false;
    }
}

// Prometheus's calculateDuration: whole milliseconds, positive unless an
// offset.
bool Durations::resolve(const ExprPtr& expr, int64_t& ns, bool allow_negative, std::string& error) const {
    if (!expr) return true;
    double seconds = 0;
    if (!value(*expr, seconds, error)) return false;
    if (std::isnan(seconds) || std::isinf(seconds)) error = at(*expr) + "duration is NaN or infinite";
    else if (seconds <= 0 && !allow_negative) error = at(*expr) + "duration must be greater than 0";
    else if (seconds > 9223372036.854775807 || seconds < -9223372036.854775808) error = at(*expr) + "duration is out of range";
    if (!error.empty()) return false;
    ns = static_cast<int64_t>(seconds * 1000) * kNsPerMs;
    return true;
}

bool resolve_durations(Expr& e, const Durations& d, std::string& error) {
    bool ok = true;
    inspect(e, [&](Expr& n, const std::vector<Expr*>&) {
        if (!ok) return;
        if (n.kind == NodeKind::vector_selector) {
            auto& vs = as<VectorSelector>(n);
            ok = d.resolve(vs.original_offset_expr, vs.original_offset_ns, true, error);
        } else if (n.kind == NodeKind::matrix_selector) {
            auto& m = as<MatrixSelector>(n);
            ok = d.resolve(m.range_expr, m.range_ns, false, error);
        } else if (n.kind == NodeKind::subquery) {
            auto& s = as<SubqueryExpr>(n);
            ok = d.resolve(s.original_offset_expr, s.original_offset_ns, true, error) &&
                 d.resolve(s.step_expr, s.step_ns, false, error) && d.resolve(s.range_expr, s.range_ns, false, error);
        }
    });
    return ok;
}

void unwrap_parens(ExprPtr& slot) {
    while (slot && slot->kind == NodeKind::paren) {
        ExprPtr inner = std::move(as<ParenExpr>(*slot).expr);
        slot = std::move(inner);
    }
}

ExprPtr wrap(ExprPtr e) {
    auto s = std::make_unique<StepInvariantExpr>();
    s->expr = std::move(e);
    return s;
}

void resolve_at(std::optional<int64_t>& ts, Tok start_or_end, int64_t start, int64_t end) {
    if (start_or_end == Tok::start) ts = start;
    else if (start_or_end == Tok::end) ts = end;
}

// preprocessExprHelper: {step invariant, should be wrapped}.
std::pair<bool, bool> mark_invariant(ExprPtr& slot, int64_t start, int64_t end) {
    Expr& e = *slot;
    switch (e.kind) {
    case NodeKind::vector_selector: {
        auto& vs = as<VectorSelector>(e);
        resolve_at(vs.timestamp_ms, vs.start_or_end, start, end);
        return {vs.timestamp_ms.has_value(), vs.timestamp_ms.has_value()};
    }
    case NodeKind::aggregate: {
        auto& a = as<AggregateExpr>(e);
        unwrap_parens(a.expr);
        unwrap_parens(a.param);
        return mark_invariant(a.expr, start, end);
    }
    case NodeKind::binary: {
        auto& b = as<BinaryExpr>(e);
        const auto [li, lw] = mark_invariant(b.lhs, start, end);
        const auto [ri, rw] = mark_invariant(b.rhs, start, end);
        if (li && ri) return {true, true};
        if (lw) b.lhs = wrap(std::move(b.lhs));
        if (rw) b.rhs = wrap(std::move(b.rhs));
        return {false, false};
    }
    case NodeKind::call: {
        auto& c = as<Call>(e);
        bool invariant = !at_modifier_unsafe(c.func->id);
        bool timestamp_safe = c.func->id == Fn::timestamp;
        std::vector<bool> should_wrap(c.args.size());
        for (size_t i = 0; i < c.args.size(); ++i) {
            unwrap_parens(c.args[i]);
            const auto [ai, aw] = mark_invariant(c.args[i], start, end);
            should_wrap[i] = aw;
            invariant = invariant && ai;
            if (!ai || c.args[i]->kind != NodeKind::vector_selector) timestamp_safe = false;
        }
        if (invariant || timestamp_safe) return {true, true};
        for (size_t i = 0; i < c.args.size(); ++i)
            if (should_wrap[i]) c.args[i] = wrap(std::move(c.args[i]));
        return {false, false};
    }
    case NodeKind::matrix_selector: return {mark_invariant(as<MatrixSelector>(e).vector_selector, start, end).first, false};
    case NodeKind::subquery: {
        auto& s = as<SubqueryExpr>(e);
        if (mark_invariant(s.expr, start, end).first) s.expr = wrap(std::move(s.expr));
        resolve_at(s.timestamp_ms, s.start_or_end, start, end);
        return {s.timestamp_ms.has_value(), s.timestamp_ms.has_value()};
    }
    case NodeKind::paren: return mark_invariant(as<ParenExpr>(e).expr, start, end);
    case NodeKind::unary: return mark_invariant(as<UnaryExpr>(e).expr, start, end);
    default: return {true, false};
    }
}

// subqueryTimes: the offsets and ranges of the subqueries above a node,
// restarted at a subquery with @, and the nearest such @.
struct SubqueryTimes {
    int64_t offset_ns = 0;
    int64_t range_ns = 0;
    std::optional<int64_t> ts;
};



SubqueryTimes subquery_times(const std::vector<Expr*>& path) {
    SubqueryTimes t;
    for (Expr* n : path) {
        if (n->kind != NodeKind::subquery) continue;
        const auto& s = as<SubqueryExpr>(*n);
        t.offset_ns = add_sat(t.offset_ns, s.original_offset_ns);
        t.range_ns = add_sat(t.range_ns, s.range_ns);
        if (s.timestamp_ms) {
            t.offset_ns = s.original_offset_ns;
            t.range_ns = s.range_ns;
            t.ts = s.timestamp_ms;
        }
    }
    return t;
}

void selector_ranges(Expr& root, int64_t start, int64_t end, int64_t lookback_ms) {
    inspect(root, [&](Expr& n, const std::vector<Expr*>& path) {
        if (n.kind != NodeKind::vector_selector) return;
        auto& vs = as<VectorSelector>(n);
        int64_t range_ms = 0;
        if (!path.empty() && path.back()->kind == NodeKind::matrix_selector)
            range_ms = as<MatrixSelector>(*path.back()).range_ns / kNsPerMs;
        const SubqueryTimes sq = subquery_times(path);
        int64_t mint = sq.ts ? *sq.ts : start, maxt = sq.ts ? *sq.ts : end;
        if (vs.timestamp_ms) {
            mint = maxt = *vs.timestamp_ms;
        } else {
            mint = mint - sq.offset_ns / kNsPerMs - sq.range_ns / kNsPerMs;
            maxt -= sq.offset_ns / kNsPerMs;
        }
        if (range_ms == 0) {
            mint -= lookback_ms - 1;
            if (vs.smoothed) maxt += lookback_ms;
        } else if (vs.anchored || vs.smoothed) {
            mint -= lookback_ms + range_ms - 1;
            if (vs.smoothed) maxt += lookback_ms;
        } else {
            mint -= range_ms - 1;
        }
        vs.select_mint = mint - vs.original_offset_ns / kNsPerMs;
        vs.select_maxt = maxt - vs.original_offset_ns / kNsPerMs;
    });
}

// Times and durations a query may use: far beyond any real one, and small
// enough that every sum the evaluator makes of them (a time minus an
// offset, a range, the lookback; an @ time's distance to the evaluation
// time in nanoseconds) stays inside int64. Prometheus, in Go, would
// silently wrap past them.
constexpr int64_t kMaxTimeMs = 4'600'000'000'000;           // ±146 years around 1970
constexpr int64_t kMaxDurationNs = 4'600'000'000'000'000'000;  // 146 years

bool within_bounds(Expr& root, int64_t start, int64_t end, std::string& error) {
    auto time_ok = [](int64_t t) { return t >= -kMaxTimeMs && t <= kMaxTimeMs; };
    auto duration_ok = [](int64_t ns) { return ns >= -kMaxDurationNs && ns <= kMaxDurationNs; };
    bool ok = time_ok(start) && time_ok(end);
    inspect(root, [&](Expr& n, const std::vector<Expr*>&) {
        if (n.kind == NodeKind::vector_selector) {
            const auto& vs = as<VectorSelector>(n);
            ok = ok && duration_ok(vs.original_offset_ns) && (!vs.timestamp_ms || time_ok(*vs.timestamp_ms));
        } else if (n.kind == NodeKind::matrix_selector) {
            ok = ok && duration_ok(as<MatrixSelector>(n).range_ns);
        } else if (n.kind == NodeKind::subquery) {
            const auto& s = as<SubqueryExpr>(n);
            ok = ok && duration_ok(s.original_offset_ns) && duration_ok(s.range_ns) && duration_ok(s.step_ns) &&
                 (!s.timestamp_ms || time_ok(*s.timestamp_ms));
        }
    });
    if (!ok) error = "query times out of range: timestamps must lie within 146 years of 1970, offsets and ranges below 146 years";
    return ok;
}

}  // namespace

void set_offset_for_at_modifier(int64_t eval_time, Expr& e) {
    auto offset_for = [&](const std::optional<int64_t>& ts, int64_t original_ns, const std::vector<Expr*>& path) {
        if (!ts) return original_ns;
        const SubqueryTimes sq = subquery_times(path);
        int64_t subq_offset = sq.offset_ns;
        if (sq.ts) subq_offset = add_sat(subq_offset, mul_sat(eval_time - *sq.ts, kNsPerMs));
        const int64_t negated = subq_offset == INT64_MIN ? INT64_MAX : -subq_offset;
        return add_sat(add_sat(original_ns, mul_sat(eval_time - *ts, kNsPerMs)), negated);
    };
    inspect(e, [&](Expr& n, const std::vector<Expr*>& path) {
        if (n.kind == NodeKind::vector_selector) {
            auto& vs = as<VectorSelector>(n);
            vs.offset_ns = offset_for(vs.timestamp_ms, vs.original_offset_ns, path);
        } else if (n.kind == NodeKind::subquery) {
            auto& s = as<SubqueryExpr>(n);
            s.offset_ns = offset_for(s.timestamp_ms, s.original_offset_ns, path);
        }
    });
}

bool preprocess(ExprPtr& root, int64_t start, int64_t end, int64_t step, int64_t lookback_ms, std::string& error) {
    fold_context_functions(root, start, end, step);
    if (!resolve_durations(*root, Durations(step, end - start), error)) return false;
    if (mark_invariant(root, start, end).second) root = wrap(std::move(root));
    if (!within_bounds(*root, start, end, error)) return false;
    set_offset_for_at_modifier(start, *root);
    selector_ranges(*root, start, end, lookback_ms);
    return true;
}

}  // namespace mmwatch::promql
