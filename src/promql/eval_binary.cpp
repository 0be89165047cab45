// Binary operators (engine.go's VectorAnd, VectorOr, VectorUnless,
// VectorBinop, VectorscalarBinop, scalarBinop): arithmetic, comparison
// with and without bool, set operators, on/ignoring, group_left/right,
// fill modifiers and Prometheus's matching errors.
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "promql/range_eval.hpp"

namespace mmwatch::promql {

namespace {

bool changes_metric_schema(Tok op) noexcept {
    switch (op) {
    case Tok::add: case Tok::sub: case Tok::div: case Tok::mul: case Tok::pow: case Tok::mod: case Tok::atan2:
        return true;
    default:
        return false;
    }
}

// The operator applied to two floats: the value, and whether a comparison
// holds (keep). Histogram trims have no float meaning: keep false, and
// `incompatible` set.
double float_binop(Tok op, double l, double r, bool& keep, bool& incompatible) noexcept {
    keep = true;
    incompatible = false;
    switch (op) {
    case Tok::add: return l + r;
    case Tok::sub: return l - r;
    case Tok::mul: return l * r;
    case Tok::div: return l / r;
    case Tok::pow: return std::pow(l, r);
    case Tok::mod: return std::fmod(l, r);
    case Tok::atan2: return std::atan2(l, r);
    case Tok::eqlc: keep = l == r; return l;
    case Tok::neq: keep = l != r; return l;
    case Tok::gtr: keep = l > r; return l;
    case Tok::lss: keep = l < r; return l;
    case Tok::gte: keep = l >= r; return l;
    case Tok::lte: keep = l <= r; return l;
    default: keep = false; incompatible = true; return 0;
    }
}

std::string incompatible_info(Tok op) {
    const std::string o(tok_text(op));
    return "incompatible sample types encountered for binary operator \"" + o + "\": float " + o + " float";
}

Labels match_labels(const Labels& ls, const VectorMatching& m) {
    LabelsBuilder b(ls);
    if (m.on) {
        b.keep(m.matching_labels);
    } else {
        b.del(kMetricNameLabel);
        b.del_all(m.matching_labels);
    }
    return b.labels();
}

// resultMetric with its per-node cache.
class ResultMetrics {
public:
    Labels get(const Labels& l, const Labels& r, Tok op, const VectorMatching& m, bool drop_name) {
        std::string key(l.encoded());
        key += '\xff';
        key.append(r.encoded());
        if (auto it = cache_.find(key); it != cache_.end()) return it->second;
        LabelsBuilder b(l);
        if (drop_name || changes_metric_schema(op)) b.drop_metadata();
        if (m.card == Card::one_to_one) {
            if (m.on) b.keep(m.matching_labels);
            else b.del_all(m.matching_labels);
        }
        for (const auto& name : m.include) b.set(name, r.get(name));
        Labels out = b.labels();
        cache_.emplace(std::move(key), out);
        return out;
    }

private:
    std::unordered_map<std::string, Labels> cache_;
};

struct BinopState {
    Tok op;
    const VectorMatching* m;
    bool return_bool;
    bool delayed;
    Annotations* annotations;
    ResultMetrics metrics;
};

std::string vector_binop(BinopState& st, const StepInput& in, Vector& out) {
    const VectorMatching& m = *st.m;
    const Vector* lhs = &in.vectors[0];
    const Vector* rhs = &in.vectors[1];
    const std::vector<uint32_t>* lsig = &in.sigs[0];
    const std::vector<uint32_t>* rsig = &in.sigs[1];
    if ((lhs->empty() && rhs->empty()) || ((lhs->empty() || rhs->empty()) && !m.fill_lhs && !m.fill_rhs)) return {};
    const bool swapped = m.card == Card::one_to_many;
    if (swapped) std::swap(lhs, rhs), std::swap(lsig, rsig);
    std::vector<const Sample*> right(in.num_sigs, nullptr);
    for (size_t i = 0; i < rhs->size(); ++i) {
        const Sample& rs = (*rhs)[i];
        if (const Sample* dup = right[(*rsig)[i]]) {
            return "found duplicate series for the match group " + match_labels(rs.metric, m).to_string() +
                   " on the " + (swapped ? "left" : "right") + " hand-side of the operation: [" + rs.metric.to_string() +
                   ", " + dup->metric.to_string() + "];many-to-many matching not allowed: matching labels must be "
                   "unique on one side";
        }
        right[(*rsig)[i]] = &rs;
    }
    std::vector<bool> matched_one(m.card == Card::one_to_one ? in.num_sigs : 0, false);
    std::vector<std::unordered_set<Labels, LabelsHash>> matched_many(m.card == Card::one_to_one ? 0 : in.num_sigs);
    std::string error;
    auto apply = [&](const Sample& ls, const Sample& rs, uint32_t sig) {
        double fl = ls.f, fr = rs.f;
        if (swapped) std::swap(fl, fr);
        bool keep, incompatible;
        double v = float_binop(st.op, fl, fr, keep, incompatible);
        if (incompatible) st.annotations->info(incompatible_info(st.op));
        if (st.return_bool) v = keep ? 1 : 0;
        Labels metric = st.metrics.get(ls.metric, rs.metric, st.op, m, !st.delayed && st.return_bool);
        if (m.card == Card::one_to_one) {
            if (matched_one[sig]) {
                error = "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)";
                return;
            }
            matched_one[sig] = true;
        } else if (!matched_many[sig].insert(metric).second) {
            error = "multiple matches for labels: grouping labels must ensure unique matches";
            return;
        }
        if (!keep && !st.return_bool) return;
        out.push_back({std::move(metric), 0, v, st.return_bool});
    };
    for (size_t i = 0; i < lhs->size() && error.empty(); ++i) {
        const uint32_t sig = (*lsig)[i];
        if (right[sig]) {
            apply((*lhs)[i], *right[sig], sig);
        } else if (m.fill_rhs) {
            apply((*lhs)[i], Sample{match_labels((*lhs)[i].metric, m), 0, *m.fill_rhs, false}, sig);
        }
    }
    if (m.fill_lhs && error.empty()) {
        for (size_t i = 0; i < rhs->size() && error.empty(); ++i) {
            const uint32_t sig = (*rsig)[i];
            const bool done = m.card == Card::one_to_one ? matched_one[sig] : !matched_many[sig].empty();
            if (!done) apply(Sample{match_labels((*rhs)[i].metric, m), 0, *m.fill_lhs, false}, (*rhs)[i], sig);
        }
    }
    return error;
}

void set_operation(Tok op, const StepInput& in, Vector& out) {
    const Vector& lhs = in.vectors[0];
    const Vector& rhs = in.vectors[1];
    std::vector<bool> present(in.num_sigs, false);
    switch (op) {
    case Tok::land:
        if (lhs.empty() || rhs.empty()) return;
        for (const uint32_t s : in.sigs[1]) present[s] = true;
        for (size_t i = 0; i < lhs.size(); ++i)
            if (present[in.sigs[0][i]]) out.push_back(lhs[i]);
        return;
    case Tok::lor:
        out = lhs;
        for (const uint32_t s : in.sigs[0]) present[s] = true;
        for (size_t i = 0; i < rhs.size(); ++i)
            if (!present[in.sigs[1][i]]) out.push_back(rhs[i]);
        return;
    default:  // unless
        for (const uint32_t s : in.sigs[1]) present[s] = true;
        for (size_t i = 0; i < lhs.size(); ++i)
            if (!present[in.sigs[0][i]]) out.push_back(lhs[i]);
        return;
    }
}

void vector_scalar_binop(BinopState& st, const Vector& vec, double scalar, bool swap, Vector& out) {
    for (const Sample& s : vec) {
        double l = s.f, r = scalar;
        if (swap) std::swap(l, r);
        bool keep, incompatible;
        double v = float_binop(st.op, l, r, keep, incompatible);
        if (incompatible) {
            st.annotations->info(incompatible_info(st.op));
            continue;
        }
        if (is_comparison(st.op) && swap) v = r;
        if (st.return_bool) {
            v = keep ? 1 : 0;
            keep = true;
        }
        if (!keep) continue;
        Sample o = s;
        o.f = v;
        if (changes_metric_schema(st.op) || st.return_bool) {
            if (!st.delayed) o.metric = drop_metadata(o.metric);
            o.drop_name = true;
        }
        out.push_back(std::move(o));
    }
}

double scalar_binop(Tok op, double l, double r) noexcept {
    switch (op) {
    case Tok::eqlc: return l == r;
    case Tok::neq: return l != r;
    case Tok::gtr: return l > r;
    case Tok::lss: return l < r;
    case Tok::gte: return l >= r;
    case Tok::lte: return l <= r;
    default: {
        bool keep, incompatible;
        return float_binop(op, l, r, keep, incompatible);
    }
    }
}

}  // namespace

std::string matching_signature(const Labels& ls, const VectorMatching& m) {
    std::string sig;
    for (const Label l : ls) {
        const bool listed = std::find(m.matching_labels.begin(), m.matching_labels.end(), l.name) != m.matching_labels.end();
        if (m.on ? !listed : (listed || l.name == kMetricNameLabel)) continue;
        sig.append(l.name);
        sig += '\xff';
        sig.append(l.value);
        sig += '\xff';
    }
    return sig;
}

Task<Matrix> Evaluator::eval_binary(BinaryExpr& b) {
    const ValueType lt = b.lhs->type(), rt = b.rhs->type();
    BinopState st{b.op, b.matching ? &*b.matching : nullptr, b.return_bool, cx_.opts.delayed_name_removal,
                  &cx_.annotations, {}};
    std::vector<Expr*> args{b.lhs.get(), b.rhs.get()};
    if (lt == ValueType::scalar && rt == ValueType::scalar) {
        co_return co_await range_eval(
            nullptr,
            [&](const StepInput& in, Vector& out) {
                out.push_back({Labels(), 0, scalar_binop(b.op, in.vectors[0][0].f, in.vectors[1][0].f), false});
                return std::string();
            },
            args);
    }
    if (lt == ValueType::vector && rt == ValueType::vector) {
        if (is_set_operator(b.op)) {
            co_return co_await range_eval(
                st.m,
                [&](const StepInput& in, Vector& out) {
                    set_operation(b.op, in, out);
                    return std::string();
                },
                args);
        }
        co_return co_await range_eval(
            st.m, [&](const StepInput& in, Vector& out) { return vector_binop(st, in, out); }, args);
    }
    const bool swap = lt == ValueType::scalar;
    co_return co_await range_eval(
        nullptr,
        [&](const StepInput& in, Vector& out) {
            vector_scalar_binop(st, in.vectors[swap ? 1 : 0], in.vectors[swap ? 0 : 1][0].f, swap, out);
            return std::string();
        },
        args);
}

}  // namespace mmwatch::promql
