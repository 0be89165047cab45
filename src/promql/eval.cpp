// The evaluator's dispatch and its leaves: literals, selectors, unary
// minus, step-invariant subtrees and subqueries (engine.go's eval,
// evalSeries, matrixSelector, runSubquery).
#include <algorithm>
#include <unordered_map>

#include "promql/go_compat.hpp"
#include "promql/range_eval.hpp"
#include "promql/sample_window.hpp"

namespace mmwatch::promql {

namespace {

int64_t ns_to_ms(int64_t ns) noexcept { return ns / 1'000'000; }

// Work units (~30 ns each: base::kDefaultQueryWorkPerSlice) a select
// counts for: a batch of the store's scan (SeriesSet::Next::pending), in
// the history store 512 candidates' labels built, matched and sorted, about
// 0.3 ms; and a series handed out, its labels copied, about 1 us. Counted
// as one unit each, 10,000 series' selection ran in one slice of 9 ms.
constexpr int64_t kSelectBatchUnits = 10'000;
constexpr int64_t kSelectSeriesUnits = 30;

// extendFloats: an anchored or smoothed range vector gets points at its
// exact edges, picked (anchored) or interpolated (smoothed) from the
// samples around them.
std::vector<FPoint> extend_floats(std::span<const FPoint> f, int64_t mint, int64_t maxt, bool smoothed) {
    if (f.empty()) return {};
    size_t last = f.size() - 1;
    const size_t found = go_search(last, [&](size_t i) { return f[i].t > mint; });
    const size_t first = found > 0 ? found - 1 : 0;
    if (smoothed) last = go_search(last, [&](size_t i) { return f[i].t >= maxt; });
    if (f[last].t <= mint) return {};
    auto line = [](FPoint a, FPoint b, int64_t t) {
        return a.f + (b.f - a.f) * static_cast<double>(t - a.t) / static_cast<double>(b.t - a.t);
    };
    const double left = smoothed && f[first].t < mint ? line(f[first], f[first + 1], mint) : f[first].f;
    const double right = smoothed && last > 0 && f[last].t > maxt ? line(f[last - 1], f[last], maxt) : f[last].f;
    auto lo = static_cast<std::ptrdiff_t>(first), hi = static_cast<std::ptrdiff_t>(last);
    if (f[first].t <= mint) ++lo;
    if (f[last].t >= maxt) --hi;
    std::vector<FPoint> out{{mint, left}};
    for (std::ptrdiff_t i = lo; i <= hi; ++i) out.push_back(f[static_cast<size_t>(i)]);
    out.push_back({maxt, right});
    return out;
}

// smoothSeries for one step: the sample at `t`, or the line between the
// samples around it, or the last one before it.
bool smoothed_value(std::span<const FPoint> f, int64_t t, double& v) {
    size_t i = 0;
    while (i < f.size() && f[i].t < t) ++i;
    if (i < f.size() && f[i].t == t) v = f[i].f;
    else if (i > 0 && i < f.size()) v = f[i - 1].f + (f[i].f - f[i - 1].f) * static_cast<double>(t - f[i - 1].t) /
                                                          static_cast<double>(f[i].t - f[i - 1].t);
    else if (i > 0) v = f[i - 1].f;
    else return false;
    return true;
}

}  // namespace

StepGatherer::StepGatherer(std::vector<Matrix>& inputs, const VectorMatching* matching)
    : inputs_(inputs), matching_(matching), series_sigs_(inputs.size()), cursor_(inputs.size()) {
    size_t total = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
        cursor_[i].assign(inputs[i].size(), 0);
        total += inputs[i].size();
    }
    // Room for every series' signature at once: growing rehashed 100,000
    // nodes in one slice of 6 ms.
    if (matching_) ordinals_.reserve(total);
}

bool StepGatherer::forget_signatures(size_t n) {
    while (n-- > 0 && !ordinals_.empty()) ordinals_.erase(ordinals_.begin());
    if (!ordinals_.empty()) return false;
    std::unordered_map<std::string, uint32_t>().swap(ordinals_);
    return true;
}

void StepGatherer::sign(size_t input, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
        const Series& s = inputs_[input][i];
        auto [it, added] = ordinals_.try_emplace(matching_signature(s.metric, *matching_), num_sigs_);
        if (added) ++num_sigs_;
        series_sigs_[input].push_back(it->second);
    }
}

int64_t StepGatherer::gather(int64_t ts, StepInput& in, size_t max_series, bool& complete) {
    if (input_ == 0 && next_ == 0) {
        for (size_t i = 0; i < inputs_.size(); ++i) {
            in.vectors[i].clear();
            if (matching_) in.sigs[i].clear();
        }
    }
    int64_t looked_at = 0;
    for (; input_ < inputs_.size(); ++input_, next_ = 0) {
        const Matrix& input = inputs_[input_];
        const size_t begin = next_;
        const size_t stop = std::min(input.size(), next_ + max_series - static_cast<size_t>(looked_at));
        for (; next_ < stop; ++next_) {
            const Series& s = input[next_];
            size_t& c = cursor_[input_][next_];
            if (c >= s.floats.size() || s.floats[c].t != ts) continue;
            in.vectors[input_].push_back({s.metric, ts, s.floats[c++].f, s.drop_name});
            if (matching_) in.sigs[input_].push_back(series_sigs_[input_][next_]);
        }
        looked_at += static_cast<int64_t>(stop - begin);
        if (next_ < input.size()) break;
    }
    complete = input_ == inputs_.size();
    if (complete) input_ = next_ = 0;
    in.ts = ts;
    return looked_at;
}

bool StepSeries::add(Vector& out, int64_t ts, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
        Sample& s = out[i];
        const auto [n, added] = index_.find_or_add(s.metric, result_.size(), [&](size_t k) -> const Labels& { return result_[k].metric; });
        if (added) {
            result_.push_back(Series{s.metric, {}, s.drop_name});
            last_ts_.push_back(ts);
        } else if (last_ts_[n] == ts) {
            return false;
        }
        last_ts_[n] = ts;
        result_[n].floats.push_back({ts, s.f});
    }
    return true;
}

int64_t total_points(const Matrix& m) noexcept {
    int64_t n = 0;
    for (const Series& s : m) n += static_cast<int64_t>(s.floats.size());
    return n;
}

void Annotations::add(bool warning, std::string message) {
    for (const Annotation& a : list_)
        if (a.message == message) return;
    list_.push_back({warning, std::move(message)});
}

Task<Matrix> Evaluator::eval(Expr& e) {
    if (end_ < start_) co_return Matrix{};
    switch (e.kind) {
    case NodeKind::aggregate: co_return co_await eval_aggregate(as<AggregateExpr>(e));
    case NodeKind::call: co_return co_await eval_call(as<Call>(e));
    case NodeKind::paren: co_return co_await eval(*as<ParenExpr>(e).expr);
    case NodeKind::unary: co_return co_await eval_unary(as<UnaryExpr>(e));
    case NodeKind::binary: co_return co_await eval_binary(as<BinaryExpr>(e));
    case NodeKind::number: co_return co_await eval_number(as<NumberLiteral>(e));
    case NodeKind::vector_selector: co_return co_await eval_vector_selector(as<VectorSelector>(e));
    case NodeKind::matrix_selector: co_return co_await eval_matrix_selector(as<MatrixSelector>(e));
    case NodeKind::subquery: co_return co_await run_subquery(as<SubqueryExpr>(e));
    case NodeKind::step_invariant: co_return co_await eval_step_invariant(as<StepInvariantExpr>(e));
    case NodeKind::string:
    case NodeKind::duration: break;
    }
    co_await cx_.fail(ErrorType::internal, "unexpected expression in evaluation");
    co_return Matrix{};
}

Task<Matrix> Evaluator::eval_number(NumberLiteral& n) {
    const double v = n.val;
    std::vector<Expr*> none;
    co_return co_await range_eval(
        nullptr,
        [v](const StepInput&, Vector& out) {
            out.push_back({Labels(), 0, v, false});
            return std::string();
        },
        none);
}

Task<bool> Evaluator::select(VectorSelector& vs) {
    if (vs.series) co_return true;
    auto sel = std::make_unique<SelectedSeries>();
    auto set = cx_.storage.select(vs.matchers, vs.select_mint, vs.select_maxt);
    while (true) {
        const SeriesSet::Next n = set->next();
        if (n == SeriesSet::Next::end) break;
        if (n == SeriesSet::Next::series) {
            sel->labels.push_back(set->labels());
            sel->refs.push_back(set->ref());
        }
        co_await cx_.budget.tick(n == SeriesSet::Next::pending ? kSelectBatchUnits : kSelectSeriesUnits);
    }
    vs.series = sel.get();
    cx_.selections.push_back(std::move(sel));
    co_return true;
}

// Prometheus's evalSeries and vectorSelectorSingle: at each step the last
// sample at or before the step (minus offset) within the lookback delta,
// unless it is a staleness marker.
Task<Matrix> Evaluator::eval_vector_selector(VectorSelector& vs) {
    co_await select(vs);
    const SelectedSeries& sel = *vs.series;
    const int64_t offset = ns_to_ms(vs.offset_ns);
    const int64_t lookback = cx_.opts.lookback_delta_ms;
    Matrix mat;
    for (size_t i = 0; i < sel.refs.size(); ++i) {
        SampleWindow w(cx_.storage, sel.refs[i], !vs.smoothed);
        Series ss{sel.labels[i], {}, false};
        for (int64_t ts = start_; ts <= end_; ts += interval_) {
            const int64_t ref_time = ts - offset;
            bool complete = false;
            const int64_t maxt = ref_time + (vs.smoothed ? lookback : 0);
            while (!complete) co_await cx_.budget.tick(1 + static_cast<int64_t>(w.move(ref_time - lookback, maxt, complete)));
            if (vs.smoothed) {
                double v;
                if (!smoothed_value(w.points(), ref_time, v)) continue;
                if (++cx_.current_samples > cx_.opts.max_samples) co_await cx_.too_many_samples();
                ss.floats.push_back({ts, v});
                continue;
            }
            if (w.size() == 0 || is_stale_nan(w.points().back().f)) continue;
            if (++cx_.current_samples > cx_.opts.max_samples) co_await cx_.too_many_samples();
            ss.floats.push_back({ts, w.points().back().f});
        }
        if (!ss.floats.empty()) mat.push_back(std::move(ss));
    }
    cx_.update_peak();
    co_return mat;
}

// A range vector as the value of an instant query (matrixSelector).
Task<Matrix> Evaluator::eval_matrix_selector(MatrixSelector& m) {
    VectorSelector& vs = m.vs();
    co_await select(vs);
    const SelectedSeries& sel = *vs.series;
    const int64_t maxt = start_ - ns_to_ms(vs.offset_ns);
    const int64_t mint = maxt - ns_to_ms(m.range_ns);
    const int64_t lookback = cx_.opts.lookback_delta_ms;
    const bool extended = vs.anchored || vs.smoothed;
    Matrix mat;
    for (size_t i = 0; i < sel.refs.size(); ++i) {
        SampleWindow w(cx_.storage, sel.refs[i], false);
        bool complete = false;
        while (!complete)
            co_await cx_.budget.tick(1 + static_cast<int64_t>(w.move(mint - (extended ? lookback : 0),
                                                                     maxt + (vs.smoothed ? lookback : 0), complete)));
        if (mint == maxt || w.size() == 0) continue;
        std::vector<FPoint> points = extended ? extend_floats(w.points(), mint, maxt, vs.smoothed)
                                              : std::vector<FPoint>(w.points().begin(), w.points().end());
        if (points.empty()) continue;
        cx_.current_samples += static_cast<int64_t>(points.size());
        if (cx_.over_limit()) co_await cx_.too_many_samples();
        mat.push_back(Series{sel.labels[i], std::move(points), false});
    }
    cx_.update_peak();
    co_return mat;
}

Task<Matrix> Evaluator::eval_unary(UnaryExpr& u) {
    Matrix mat = co_await eval(*u.expr);
    if (u.op != Tok::sub) co_return mat;
    for (Series& s : mat) {
        if (!cx_.opts.delayed_name_removal) s.metric = drop_metadata(s.metric);
        s.drop_name = true;
        for (FPoint& p : s.floats) p.f = -p.f;
    }
    co_await cx_.budget.tick(static_cast<int64_t>(mat.size()) + 1);
    if (!cx_.opts.delayed_name_removal) mat = co_await merge_same_labelsets(std::move(mat));
    co_return mat;
}

// Checked first (most answers come sorted), kSortChunkSeries series a
// tick; if not, runs of kSortChunkSeries sorted and merged pairwise, a
// tick every kSortChunkSeries series moved. Stable, as sort_by_labels.
Task<bool> Evaluator::sort_series(Matrix& m) {
    const auto less = [](const Series& a, const Series& b) { return compare(a.metric, b.metric) < 0; };
    const size_t n = m.size();
    const int64_t chunk_work = kSortSeriesWork * static_cast<int64_t>(kSortChunkSeries);
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; ++i) {
        sorted = !less(m[i], m[i - 1]);
        if (i % kSortChunkSeries == 0) co_await cx_.budget.tick(chunk_work);
    }
    if (sorted) co_return true;
    for (size_t from = 0; from < n; from += kSortChunkSeries) {
        const auto begin = m.begin() + static_cast<std::ptrdiff_t>(from);
        std::stable_sort(begin, begin + static_cast<std::ptrdiff_t>(std::min(kSortChunkSeries, n - from)), less);
        co_await cx_.budget.tick(chunk_work * 4);  // ~log2(kSortChunkSeries) / 2 comparisons a series
    }
    Matrix merged(n);
    for (size_t width = kSortChunkSeries; width < n; width *= 2) {
        size_t out = 0;
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t a = lo, b = std::min(n, lo + width);
            const size_t a_end = b, b_end = std::min(n, lo + 2 * width);
            while (a < a_end || b < b_end) {
                const bool take_a = b == b_end || (a < a_end && !less(m[b], m[a]));
                merged[out++] = std::move(take_a ? m[a++] : m[b++]);
                if (out % kSortChunkSeries == 0) co_await cx_.budget.tick(chunk_work);
            }
        }
        m.swap(merged);
    }
    co_return true;
}

Task<bool> Evaluator::release(Matrix m) {
    while (!m.empty()) {
        const size_t n = std::min(kReleaseChunkSeries, m.size());
        m.erase(m.end() - static_cast<std::ptrdiff_t>(n), m.end());
        co_await cx_.budget.tick(kReleaseSeriesWork * static_cast<int64_t>(n));
    }
    co_return true;
}

Task<bool> Evaluator::release_step(StepInput& in, Vector& out) {
    while (!out.empty()) co_await cx_.budget.tick(erase_tail(out, kReleaseChunkSeries));
    for (Vector& v : in.vectors)
        while (!v.empty()) co_await cx_.budget.tick(erase_tail(v, kReleaseChunkSeries));
    co_return true;
}

DerivedLabels& Evaluator::label_cache() {
    cx_.label_caches.push_back(std::make_unique<DerivedLabels>());
    return *cx_.label_caches.back();
}

Task<bool> Evaluator::release(DerivedLabels& d) {
    while (!d.release_part(kReleaseChunkSeries)) co_await cx_.budget.tick(kReleaseSeriesWork * static_cast<int64_t>(kReleaseChunkSeries));
    co_return true;
}

// Checked first, kSignChunkSeries series a tick: most have no set twice,
// and a hash map of 100,000 label sets built and freed at once held the
// loop 20 ms (label_replace).
Task<Matrix> Evaluator::merge_same_labelsets(Matrix m) {
    LabelsetIndex seen(m.size());
    const auto labels_of = [&](size_t k) -> const Labels& { return m[k].metric; };
    bool twice = false;
    for (size_t i = 0; i < m.size(); ++i) {
        twice = !seen.find_or_add(m[i].metric, i, labels_of).second || twice;
        if (i % kSignChunkSeries == kSignChunkSeries - 1)
            co_await cx_.budget.tick(kSignSeriesWork * static_cast<int64_t>(kSignChunkSeries));
    }
    if (twice && !merge_series_with_same_labelset(m))
        co_await cx_.fail(ErrorType::execution, std::string(kSameLabelsetError));
    co_return m;
}

bool merge_series_with_same_labelset(Matrix& m) {
    if (m.size() <= 1) return true;
    std::unordered_map<Labels, size_t, LabelsHash> first;
    bool any = false;
    for (size_t i = 0; i < m.size(); ++i) any = !first.try_emplace(m[i].metric, i).second || any;
    if (!any) return true;
    Matrix merged;
    std::vector<bool> taken(m.size(), false);
    for (size_t i = 0; i < m.size(); ++i) {
        if (taken[i]) continue;
        Series base = std::move(m[i]);
        for (size_t j = i + 1; j < m.size(); ++j) {
            if (taken[j] || !(m[j].metric == base.metric)) continue;
            taken[j] = true;
            base.floats.insert(base.floats.end(), m[j].floats.begin(), m[j].floats.end());
        }
        std::stable_sort(base.floats.begin(), base.floats.end(),
                         [](const FPoint& a, const FPoint& b) { return a.t < b.t; });
        for (size_t k = 1; k < base.floats.size(); ++k)
            if (base.floats[k].t == base.floats[k - 1].t) return false;
        merged.push_back(std::move(base));
    }
    m = std::move(merged);
    return true;
}

// Evaluated once at the start time, then repeated at every step.
Task<Matrix> Evaluator::eval_step_invariant(StepInvariantExpr& e) {
    Evaluator once(cx_, start_, start_, interval_);
    Matrix mat = co_await once.eval(*e.expr);
    if (e.expr->kind == NodeKind::matrix_selector || e.expr->kind == NodeKind::subquery) co_return mat;
    for (Series& s : mat) {
        if (s.floats.size() != 1) co_await cx_.fail(ErrorType::internal, "unexpected number of samples");
        const double v = s.floats[0].f;
        for (int64_t ts = start_ + interval_; ts <= end_; ts += interval_) {
            s.floats.push_back({ts, v});
            if (++cx_.current_samples > cx_.opts.max_samples) co_await cx_.too_many_samples();
        }
        co_await cx_.budget.tick(static_cast<int64_t>(s.floats.size()));
    }
    cx_.update_peak();
    co_return mat;
}

}  // namespace mmwatch::promql
