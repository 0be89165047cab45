// Function calls (engine.go's eval of *parser.Call): instant-vector
// functions through range_eval, range-vector functions series by series
// over a moving window (from the store or from a subquery), and the
// functions that work on whole series: label_replace, label_join and
// timestamp() of a selector.
#include <algorithm>

#include "promql/function_calls.hpp"
#include "promql/go_compat.hpp"
#include "promql/matcher.hpp"
#include "promql/preprocess.hpp"
#include "promql/range_eval.hpp"
#include "promql/sample_window.hpp"

namespace mmwatch::promql {

namespace {

constexpr int64_t kNsPerMs = 1'000'000;
// Work units (~30 ns) of relabelling one series (label_replace, label_join):
// a regular expression matched, the label set built again, ~1 us.
constexpr int64_t kRelabelUnits = 30;

bool counter_name(std::string_view name) {
    for (std::string_view suffix : {"_total", "_sum", "_count", "_bucket"})
        if (name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix) return true;
    return false;
}

// label_replace and label_join: setting __name__ brings the name back
// even where it was to be dropped.
void set_label(Series& s, const std::string& name, const std::string& value) {
    LabelsBuilder b(s.metric);
    b.set(name, value);
    s.metric = b.labels();
    if (name == kMetricNameLabel) s.drop_name = false;
}

bool anchored_safe(Fn f) noexcept {
    return f == Fn::changes || f == Fn::delta || f == Fn::increase || f == Fn::rate || f == Fn::resets;
}
bool smoothed_safe(Fn f) noexcept { return f == Fn::delta || f == Fn::increase || f == Fn::rate; }

bool is_sort(Fn f) noexcept {
    return f == Fn::sort || f == Fn::sort_desc || f == Fn::sort_by_label || f == Fn::sort_by_label_desc;
}

// absent_over_time: one series with 1 at the steps where no input series
// had a value, or nothing when every step had one.
Matrix absent_steps(const Matrix& mat, const Call& c, int64_t start, int64_t end, int64_t interval) {
    const size_t steps = static_cast<size_t>((end - start) / interval) + 1;
    std::vector<bool> found(steps, false);
    for (const Series& s : mat) {
        if (s.floats.size() == steps) return {};
        for (const FPoint& p : s.floats) found[static_cast<size_t>((p.t - start) / interval)] = true;
    }
    Series out{labels_for_absent(*c.args[0]), {}, true};
    for (size_t i = 0; i < steps; ++i)
        if (!found[i]) out.floats.push_back({start + static_cast<int64_t>(i) * interval, 1});
    if (out.floats.empty()) return {};
    return {std::move(out)};
}

}  // namespace

Task<Matrix> Evaluator::eval_call(Call& c) {
    const Fn id = c.func->id;
    if (id == Fn::timestamp && c.args[0]->kind == NodeKind::vector_selector)
        co_return co_await eval_timestamp_of_selector(as<VectorSelector>(*c.args[0]));
    for (size_t i = 0; i < c.args.size(); ++i) {
        const NodeKind k = c.args[i]->kind;
        if (k == NodeKind::matrix_selector || k == NodeKind::subquery) co_return co_await eval_range_call(c, i);
    }
    if (id == Fn::label_replace) co_return co_await eval_label_replace(c);
    if (id == Fn::label_join) co_return co_await eval_label_join(c);
    if (is_sort(id) && !instant())
        cx_.annotations.warn("sort is ineffective for range queries since results are always ordered by labels");
    InstantCall call{c, cx_.opts.delayed_name_removal, cx_.annotations, label_cache(), {}, {}};
    std::vector<Expr*> args;
    for (auto& a : c.args) args.push_back(a.get());
    Matrix result;
    if (is_elementwise(call)) {
        // Cut every kStepChunkSeries samples: a step over 100,000 series
        // was one slice of 40 to 60 ms.
        result = co_await range_eval(
            nullptr,
            [&](const StepInput& in, Vector& out, size_t& next) {
                const size_t n = in.vectors[0].size(), to = std::min(n, next + kStepChunkSeries);
                call_elementwise(call, in, next, to, out);
                next = to < n ? to : kStepComplete;
                return std::string();
            },
            args);
    } else {
        result = co_await range_eval(
            nullptr, [&](const StepInput& in, Vector& out) { return call_instant(call, in, out); }, args);
    }
    (void)co_await release(call.dropped);
    co_return result;
}

namespace {

// What a range function reads: a selector's series from the store, or a
// subquery's result, with its range, offset and @ (for a subquery with @,
// the offset relative to this evaluation's start, as evalSubquery sets).
RangeArg describe_range_arg(Expr& arg, int64_t start) {
    RangeArg r;
    r.expr = &arg;
    if (arg.kind == NodeKind::subquery) {
        auto& s = as<SubqueryExpr>(arg);
        r.range_ns = s.range_ns;
        r.at = s.timestamp_ms;
        r.offset_ns = r.at ? add_sat(s.original_offset_ns, mul_sat(start - *r.at, kNsPerMs)) : s.offset_ns;
        return r;
    }
    auto& m = as<MatrixSelector>(arg);
    r.vs = &m.vs();
    r.range_ns = m.range_ns;
    r.offset_ns = r.vs->offset_ns;
    r.at = r.vs->timestamp_ms;
    r.anchored = r.vs->anchored;
    r.smoothed = r.vs->smoothed;
    return r;
}

std::string modifier_error(const RangeArg& r, const Function& f) {
    if (r.anchored && !anchored_safe(f.id))
        return "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with " +
               std::string(f.name);
    if (r.smoothed && !smoothed_safe(f.id))
        return "smoothed modifier can only be used with: delta, increase, rate - not with " + std::string(f.name);
    return {};
}

void note_not_counter(Fn id, const Labels& input, Annotations& annotations) {
    const std::string_view name = input.get(kMetricNameLabel);
    if ((id != Fn::rate && id != Fn::increase) || name.empty() || counter_name(name)) return;
    std::string msg = "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ";
    append_go_quoted(msg, name);
    annotations.info(std::move(msg));
}

}  // namespace

Task<Matrix> Evaluator::eval_range_call(Call& c, size_t mi) {
    const Fn id = c.func->id;
    RangeArg arg = describe_range_arg(*c.args[mi], start_);
    if (!arg.vs) arg.sub = co_await run_subquery(as<SubqueryExpr>(*arg.expr));
    if (std::string e = modifier_error(arg, *c.func); !e.empty()) co_await cx_.fail(ErrorType::execution, std::move(e));
    std::vector<std::vector<double>> scalars;
    for (size_t j = 0; j < c.args.size(); ++j)
        if (j != mi) scalars.push_back(co_await scalar_values(c.args[j].get()));
    if (arg.vs) co_await select(*arg.vs);
    const size_t count = arg.vs ? arg.vs->series->refs.size() : arg.sub.size();
    // last_over_time and first_over_time act like an offset: the name stays.
    const bool drop = id != Fn::last_over_time && id != Fn::first_over_time;
    Matrix mat;
    // Checked as the series come: 10,000 series' label sets checked at the
    // end were one slice of up to 3 ms with eight queries at once.
    LabelsetIndex seen(count);
    bool twice = false;
    for (size_t i = 0; i < count; ++i) {
        const Labels& labels = arg.vs ? arg.vs->series->labels[i] : arg.sub[i].metric;
        const bool series_drop = drop || (!arg.vs && arg.sub[i].drop_name);
        Series ss{!cx_.opts.delayed_name_removal && series_drop ? drop_metadata(labels) : labels, {}, series_drop};
        co_await range_call_series(c, arg, i, scalars, ss.floats);
        if (ss.floats.empty()) continue;
        if (cx_.current_samples + static_cast<int64_t>(ss.floats.size()) > cx_.opts.max_samples)
            co_await cx_.too_many_samples();
        cx_.current_samples += static_cast<int64_t>(ss.floats.size());
        mat.push_back(std::move(ss));
        const auto labels_of = [&](size_t k) -> const Labels& { return mat[k].metric; };
        if (!cx_.opts.delayed_name_removal) twice = !seen.find_or_add(mat.back().metric, mat.size() - 1, labels_of).second || twice;
        note_not_counter(id, labels, cx_.annotations);
    }
    if (id == Fn::absent_over_time) mat = absent_steps(mat, c, start_, end_, interval_);
    else if (twice) co_await cx_.fail(ErrorType::execution, std::string(kSameLabelsetError));
    cx_.current_samples -= total_points(arg.sub);
    cx_.update_peak();
    co_return mat;
}

// One series through a range function, step by step over a moving window.
// Anchored and smoothed windows reach one lookback delta back (and,
// smoothed, forward) for the samples at their edges.
Task<bool> Evaluator::range_call_series(Call& c, const RangeArg& arg, size_t i,
                                        const std::vector<std::vector<double>>& scalars, std::vector<FPoint>& out) {
    SampleWindow w = arg.vs ? SampleWindow(cx_.storage, arg.vs->series->refs[i], false)
                            : SampleWindow(arg.sub[i].floats, false);
    const int64_t offset_ms = arg.offset_ns / kNsPerMs, range_ms = arg.range_ns / kNsPerMs;
    const int64_t lookback = cx_.opts.lookback_delta_ms;
    std::vector<double> step_scalars(scalars.size());
    int64_t held = 0;
    size_t step = 0;
    for (int64_t ts = start_; ts <= end_; ts += interval_, ++step) {
        if (step == 0 || !arg.at) {  // with @ the window is the first step's
            const int64_t maxt = ts - offset_ms + (arg.smoothed ? lookback : 0);
            const int64_t mint = ts - offset_ms - range_ms - (arg.anchored || arg.smoothed ? lookback : 0);
            bool complete = false;
            while (!complete) co_await cx_.budget.tick(1 + static_cast<int64_t>(w.move(mint, maxt, complete)));
            cx_.current_samples += static_cast<int64_t>(w.size()) - held;
            held = static_cast<int64_t>(w.size());
            cx_.update_peak();
            if (cx_.over_limit()) co_await cx_.too_many_samples();
        }
        if (w.size() == 0) continue;
        for (size_t j = 0; j < scalars.size(); ++j) step_scalars[j] = step < scalars[j].size() ? scalars[j][step] : 0;
        const RangeWindow rw{w.points(), ts, arg.range_ns, arg.offset_ns, arg.smoothed, arg.anchored, step_scalars};
        double v;
        std::string error;
        if (call_range(c.func->id, rw, v, cx_.annotations, error)) out.push_back({ts, v});
        else if (!error.empty()) co_await cx_.fail(ErrorType::execution, std::move(error));
        co_await cx_.budget.tick(1 + held);
    }
    cx_.current_samples -= held;
    co_return true;
}

// timestamp(selector): the time of the sample each step would use, not the
// step's time (rangeEvalTimestampFunctionOverVectorSelector).
Task<Matrix> Evaluator::eval_timestamp_of_selector(VectorSelector& vs) {
    co_await select(vs);
    const SelectedSeries& sel = *vs.series;
    const int64_t lookback = cx_.opts.lookback_delta_ms;
    Matrix mat;
    for (size_t i = 0; i < sel.refs.size(); ++i) {
        SampleWindow w(cx_.storage, sel.refs[i], true);
        Series ss{cx_.opts.delayed_name_removal ? sel.labels[i] : drop_metadata(sel.labels[i]), {}, true};
        for (int64_t ts = start_; ts <= end_; ts += interval_) {
            const int64_t ref_time = vs.timestamp_ms ? *vs.timestamp_ms : ts - vs.offset_ns / kNsPerMs;
            bool complete = false;
            while (!complete) co_await cx_.budget.tick(1 + static_cast<int64_t>(w.move(ref_time - lookback, ref_time, complete)));
            if (w.size() == 0 || is_stale_nan(w.points().back().f)) continue;
            if (++cx_.current_samples > cx_.opts.max_samples) co_await cx_.too_many_samples();
            ss.floats.push_back({ts, static_cast<double>(w.points().back().t) / 1000});
        }
        if (!ss.floats.empty()) mat.push_back(std::move(ss));
    }
    cx_.update_peak();
    co_return co_await merge_same_labelsets(std::move(mat));
}

Task<Matrix> Evaluator::eval_label_replace(Call& c) {
    const std::string& dst = as<StringLiteral>(*c.args[1]).val;
    const std::string& repl = as<StringLiteral>(*c.args[2]).val;
    const std::string& src = as<StringLiteral>(*c.args[3]).val;
    const std::string& pattern = as<StringLiteral>(*c.args[4]).val;
    AnchoredRegex re;
    if (!re.compile(pattern, nullptr))
        co_await cx_.fail(ErrorType::execution, "invalid regular expression in label_replace(): " + pattern);
    if (!is_valid_label_name(dst))
        co_await cx_.fail(ErrorType::execution, "invalid destination label name in label_replace(): " + dst);
    Matrix mat = co_await eval(*c.args[0]);
    for (Series& s : mat) {
        std::string value;
        if (re.expand(s.metric.get(src), repl, value)) set_label(s, dst, value);
        co_await cx_.budget.tick(kRelabelUnits);
    }
    co_return co_await merge_same_labelsets(std::move(mat));
}

Task<Matrix> Evaluator::eval_label_join(Call& c) {
    const std::string& dst = as<StringLiteral>(*c.args[1]).val;
    const std::string& sep = as<StringLiteral>(*c.args[2]).val;
    std::vector<std::string> sources;
    for (size_t i = 3; i < c.args.size(); ++i) {
        sources.push_back(as<StringLiteral>(*c.args[i]).val);
        if (!is_valid_label_name(sources.back()))
            co_await cx_.fail(ErrorType::execution, "invalid source label name in label_join(): " + sources.back());
    }
    if (!is_valid_label_name(dst))
        co_await cx_.fail(ErrorType::execution, "invalid destination label name in label_join(): " + dst);
    Matrix mat = co_await eval(*c.args[0]);
    for (Series& s : mat) {
        std::string joined;
        for (size_t i = 0; i < sources.size(); ++i) {
            if (i > 0) joined += sep;
            joined.append(s.metric.get(sources[i]));
        }
        set_label(s, dst, joined);
        co_await cx_.budget.tick(kRelabelUnits);
    }
    co_return co_await merge_same_labelsets(std::move(mat));
}

// runSubquery: the inner expression on the subquery's own grid of steps.
Task<Matrix> Evaluator::run_subquery(SubqueryExpr& s) {
    const int64_t offset = s.offset_ns / kNsPerMs, range = s.range_ns / kNsPerMs;
    const int64_t parent_end = start_ + ((end_ - start_) / interval_) * interval_;
    const int64_t sub_end = parent_end - offset;
    const int64_t step = s.step_ns != 0 ? s.step_ns / kNsPerMs : cx_.opts.default_subquery_step_ms;
    // A step under a millisecond is 0 ms; Go divides by it and panics.
    if (step <= 0) co_await cx_.fail(ErrorType::execution, "unexpected error: runtime error: integer divide by zero");
    int64_t sub_start = step * ((start_ - offset - range) / step);
    if (sub_start <= start_ - offset - range) sub_start += step;
    if (sub_start != start_) set_offset_for_at_modifier(sub_start, *s.expr);
    Evaluator inner(cx_, sub_start, sub_end, step);
    co_return co_await inner.eval(*s.expr);
}

}  // namespace mmwatch::promql
