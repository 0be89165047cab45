// Binary operators (engine.go's VectorAnd, VectorOr, VectorUnless,
// VectorBinop, VectorscalarBinop, scalarBinop): arithmetic, comparison
// with and without bool, set operators, on/ignoring, group_left/right,
// fill modifiers and Prometheus's matching errors.
#include <bit>
#include <cmath>

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

// resultMetric, without its cache (DerivedLabels keeps the sets made).
Labels result_metric(const Labels& l, const Labels& r, Tok op, const VectorMatching& m, bool drop_name) {
    LabelsBuilder b(l);
    if (drop_name || changes_metric_schema(op)) b.drop_metadata();
    if (m.card == Card::one_to_one) {
        if (m.on) b.keep(m.matching_labels);
        else b.del_all(m.matching_labels);
    }
    for (const auto& name : m.include) b.set(name, r.get(name));
    return b.labels();
}

// The (signature, result label hash) pairs of one step, to find a match
// twice: open addressing over one array, emptied by a new generation. A
// hash set's 10,000 nodes freed each step made glibc's malloc sort them
// all in a later large allocation: slices of 2 to 4 ms.
class PairsSeen {
public:
    // Empties the set for a step of at most `pairs` insertions.
    void reset(size_t pairs) {
        const size_t want = std::bit_ceil(2 * pairs + 2);
        if (slots_.size() < want) slots_.assign(want, Slot{});
        ++generation_;
    }
    // False when the pair is in the set already.
    bool insert(uint32_t sig, uint64_t hash) {
        const size_t mask = slots_.size() - 1;
        for (size_t k = static_cast<size_t>(hash * 31 + sig) & mask;; k = (k + 1) & mask) {
            Slot& s = slots_[k];
            if (s.generation != generation_) {
                s = {hash, sig, generation_};
                return true;
            }
            if (s.hash == hash && s.sig == sig) return false;
        }
    }

private:
    struct Slot {
        uint64_t hash = 0;
        uint32_t sig = 0;
        uint32_t generation = 0;  // 0: never used
    };
    std::vector<Slot> slots_;
    uint32_t generation_ = 0;
};

struct BinopState {
    Tok op;
    const VectorMatching* m;
    bool return_bool;
    bool delayed;
    Annotations* annotations;
    // The result labels of each pair of input sets, and each input set's
    // with its name dropped (vector and scalar): one per series, not one
    // per series and step.
    DerivedLabels& metrics;
    // Scratch kept across steps.
    std::vector<const Sample*> right;
    std::vector<bool> matched_one;
    std::vector<bool> matched_any;
    PairsSeen matched_many;

    std::string index_right(const Vector& lhs, const Vector& rhs, const std::vector<uint32_t>& rsig, uint32_t num_sigs,
                            bool swapped);
    std::string pair(const Sample& ls, const Sample& rs, uint32_t sig, bool swapped, Vector& out);
};

// The "one" side by signature; two samples with one signature there is
// many-to-many matching.
std::string BinopState::index_right(const Vector& lhs, const Vector& rhs, const std::vector<uint32_t>& rsig,
                                    uint32_t num_sigs, bool swapped) {
    right.assign(num_sigs, nullptr);
    for (size_t i = 0; i < rhs.size(); ++i) {
        const Sample& rs = rhs[i];
        if (const Sample* dup = right[rsig[i]]) {
            return "found duplicate series for the match group " + match_labels(rs.metric, *m).to_string() + " on the " +
                   (swapped ? "left" : "right") + " hand-side of the operation: [" + rs.metric.to_string() + ", " +
                   dup->metric.to_string() + "];many-to-many matching not allowed: matching labels must be unique on "
                   "one side";
        }
        right[rsig[i]] = &rs;
    }
    matched_one.assign(m->card == Card::one_to_one ? num_sigs : 0, false);
    matched_any.assign(m->card == Card::one_to_one ? 0 : num_sigs, false);
    // A pair per sample of the left and, filled, of the right at most.
    if (m->card != Card::one_to_one) matched_many.reset(lhs.size() + rhs.size());
    return {};
}

// One matched pair (doBinOp): the value, the result's labels and the
// checks that each match is unique.
std::string BinopState::pair(const Sample& ls, const Sample& rs, uint32_t sig, bool swapped, Vector& out) {
    double fl = ls.f, fr = rs.f;
    if (swapped) std::swap(fl, fr);
    bool keep, incompatible;
    double v = float_binop(op, fl, fr, keep, incompatible);
    if (incompatible) {  // Prometheus skips the pair before any bookkeeping
        annotations->info(incompatible_info(op));
        return {};
    }
    if (return_bool) v = keep ? 1 : 0;
    Labels metric = metrics.get(ls.metric, &rs.metric,
                                [&] { return result_metric(ls.metric, rs.metric, op, *m, !delayed && return_bool); });
    if (m->card == Card::one_to_one) {
        if (matched_one[sig]) return "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)";
        matched_one[sig] = true;
    } else {
        // Prometheus tells results apart by their label hash here.
        if (!matched_many.insert(sig, metric.hash()))
            return "multiple matches for labels: grouping labels must ensure unique matches";
        matched_any[sig] = true;
    }
    if (keep || return_bool) out.push_back({std::move(metric), 0, v, return_bool});
    return {};
}

// Spends the work of `done` more pairs (or samples) when a chunk is full,
// so one step over many series is cut across slices.
Budget::Tick pace(Budget& budget, size_t done) noexcept {
    return budget.tick(done % kStepChunkSeries == 0 ? static_cast<int64_t>(kStepChunkSeries) * kOutputSampleWork : 0);
}

// VectorBinop: one-to-one or many-to-one (one-to-many by swapping sides),
// with fill values for the unmatched when asked. A coroutine: it ticks the
// budget every kStepChunkSeries pairs.
Task<std::string> vector_binop(BinopState& st, const StepInput& in, Vector& out, Budget& budget) {
    const VectorMatching& m = *st.m;
    const Vector* lhs = &in.vectors[0];
    const Vector* rhs = &in.vectors[1];
    const std::vector<uint32_t>* lsig = &in.sigs[0];
    const std::vector<uint32_t>* rsig = &in.sigs[1];
    if ((lhs->empty() && rhs->empty()) || ((lhs->empty() || rhs->empty()) && !m.fill_lhs && !m.fill_rhs)) co_return std::string();
    const bool swapped = m.card == Card::one_to_many;
    if (swapped) std::swap(lhs, rhs), std::swap(lsig, rsig);
    if (std::string e = st.index_right(*lhs, *rhs, *rsig, in.num_sigs, swapped); !e.empty()) co_return e;
    st.metrics.reserve(lhs->size());
    for (size_t i = 0; i < lhs->size(); ++i) {
        const uint32_t sig = (*lsig)[i];
        std::string e;
        if (st.right[sig]) e = st.pair((*lhs)[i], *st.right[sig], sig, swapped, out);
        else if (m.fill_rhs) e = st.pair((*lhs)[i], {match_labels((*lhs)[i].metric, m), 0, *m.fill_rhs, false}, sig, swapped, out);
        if (!e.empty()) co_return e;
        co_await pace(budget, i + 1);
    }
    if (!m.fill_lhs) co_return std::string();
    for (size_t i = 0; i < rhs->size(); ++i) {
        const uint32_t sig = (*rsig)[i];
        if (m.card == Card::one_to_one ? st.matched_one[sig] : st.matched_any[sig]) continue;
        std::string e = st.pair({match_labels((*rhs)[i].metric, m), 0, *m.fill_lhs, false}, (*rhs)[i], sig, swapped, out);
        if (!e.empty()) co_return e;
        co_await pace(budget, i + 1);
    }
    co_return std::string();
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

// A coroutine like vector_binop: dropping the metric name builds a label
// set per sample.
Task<std::string> vector_scalar_binop(BinopState& st, const Vector& vec, double scalar, bool swap, Vector& out,
                                      Budget& budget) {
    st.metrics.reserve(vec.size());
    for (size_t i = 0; i < vec.size(); ++i) {
        co_await pace(budget, i + 1);
        const Sample& s = vec[i];
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
            if (!st.delayed) o.metric = st.metrics.get(s.metric, nullptr, [&] { return drop_metadata(s.metric); });
            o.drop_name = true;
        }
        out.push_back(std::move(o));
    }
    co_return std::string();
}

// Two scalars; the histogram trims (</ and >/) have no meaning here and
// fail as Prometheus's scalarBinop does.
double scalar_binop(Tok op, double l, double r, std::string& error) {
    if (op == Tok::trim_upper || op == Tok::trim_lower) {
        error = "operator \"" + std::string(tok_text(op)) + "\" not allowed for Scalar operations";
        return 0;
    }
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
                  &cx_.annotations, label_cache(), {}, {}, {}, {}};
    std::vector<Expr*> args{b.lhs.get(), b.rhs.get()};
    Matrix result;
    if (lt == ValueType::scalar && rt == ValueType::scalar) {
        result = co_await range_eval(
            nullptr,
            [&](const StepInput& in, Vector& out) {
                std::string error;
                out.push_back({Labels(), 0, scalar_binop(b.op, in.vectors[0][0].f, in.vectors[1][0].f, error), false});
                return error;
            },
            args);
    } else if (lt == ValueType::vector && rt == ValueType::vector) {
        if (is_set_operator(b.op)) {
            result = co_await range_eval(
                st.m,
                [&](const StepInput& in, Vector& out) {
                    set_operation(b.op, in, out);
                    return std::string();
                },
                args);
        } else {
            result = co_await range_eval(
                st.m, [&](const StepInput& in, Vector& out) { return vector_binop(st, in, out, cx_.budget); }, args);
        }
    } else {
        const bool swap = lt == ValueType::scalar;
        result = co_await range_eval(
            nullptr,
            [&](const StepInput& in, Vector& out) {
                return vector_scalar_binop(st, in.vectors[swap ? 1 : 0], in.vectors[swap ? 0 : 1][0].f, swap, out,
                                           cx_.budget);
            },
            args);
    }
    (void)co_await release(st.metrics);
    co_return result;
}

}  // namespace mmwatch::promql
