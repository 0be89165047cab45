// Evaluator::range_eval, Prometheus's rangeEval: the arguments evaluated
// to matrices, then a call per step with the instant vectors of that step,
// the results gathered into series. Included by the files that use it.
#pragma once

#include <algorithm>
#include <unordered_map>

#include "promql/evaluator.hpp"

namespace mmwatch::promql {

struct LabelsHash {
    size_t operator()(const Labels& l) const noexcept { return static_cast<size_t>(l.hash()); }
};

// The join signature of a label set for vector matching: the labels named
// in on(...), or all but those in ignoring(...) and __name__.
[[nodiscard]] std::string matching_signature(const Labels& ls, const VectorMatching& m);

template <class F>
Task<Matrix> Evaluator::range_eval(const VectorMatching* matching, F fn, std::vector<Expr*> exprs) {
    const size_t n = exprs.size();
    const int64_t original_samples = cx_.current_samples;
    std::vector<Matrix> inputs(n);
    for (size_t i = 0; i < n; ++i) {
        if (exprs[i] == nullptr || exprs[i]->type() == ValueType::string) continue;
        inputs[i] = co_await eval(*exprs[i]);
    }
    StepInput in;
    in.vectors.resize(n);
    std::vector<std::vector<uint32_t>> series_sigs(n);
    if (matching) {
        in.sigs.resize(n);
        std::unordered_map<std::string, uint32_t> ordinals;
        for (size_t i = 0; i < n; ++i) {
            for (const Series& s : inputs[i]) {
                auto [it, added] = ordinals.try_emplace(matching_signature(s.metric, *matching), in.num_sigs);
                if (added) ++in.num_sigs;
                series_sigs[i].push_back(it->second);
            }
            co_await cx_.budget.tick(static_cast<int64_t>(inputs[i].size()) + 1);
        }
    }
    std::vector<std::vector<size_t>> cursor(n);
    for (size_t i = 0; i < n; ++i) cursor[i].assign(inputs[i].size(), 0);
    std::unordered_map<Labels, size_t, LabelsHash> index;
    Matrix result;
    std::vector<int64_t> last_ts;
    int64_t held = cx_.current_samples;
    Vector out;
    for (int64_t ts = start_; ts <= end_; ts += interval_) {
        cx_.current_samples = held;
        int64_t work = 1;
        for (size_t i = 0; i < n; ++i) {
            in.vectors[i].clear();
            if (matching) in.sigs[i].clear();
            for (size_t j = 0; j < inputs[i].size(); ++j) {
                const Series& s = inputs[i][j];
                if (cursor[i][j] >= s.floats.size() || s.floats[cursor[i][j]].t != ts) continue;
                in.vectors[i].push_back({s.metric, ts, s.floats[cursor[i][j]++].f, s.drop_name});
                if (matching) in.sigs[i].push_back(series_sigs[i][j]);
            }
            work += static_cast<int64_t>(inputs[i].size());
        }
        co_await cx_.budget.tick(work);
        in.ts = ts;
        out.clear();
        if (std::string err = fn(in, out); !err.empty()) co_await cx_.fail(ErrorType::execution, std::move(err));
        cx_.current_samples += static_cast<int64_t>(out.size());
        held += static_cast<int64_t>(out.size());
        cx_.update_peak();
        if (cx_.over_limit()) co_await cx_.too_many_samples();
        if (instant()) {
            if (!cx_.opts.delayed_name_removal && contains_same_labelset(out))
                co_await cx_.fail(ErrorType::execution, std::string(kSameLabelsetError));
            Matrix m;
            m.reserve(out.size());
            for (Sample& s : out) m.push_back(Series{std::move(s.metric), {FPoint{ts, s.f}}, s.drop_name});
            cx_.current_samples = original_samples + static_cast<int64_t>(m.size());
            cx_.update_peak();
            co_return m;
        }
        for (Sample& s : out) {
            auto [it, added] = index.try_emplace(s.metric, result.size());
            if (added) {
                result.push_back(Series{s.metric, {}, s.drop_name});
                last_ts.push_back(ts);
            } else if (last_ts[it->second] == ts) {
                co_await cx_.fail(ErrorType::execution, std::string(kSameLabelsetError));
            }
            last_ts[it->second] = ts;
            result[it->second].floats.push_back({ts, s.f});
        }
    }
    int64_t points = 0;
    for (const Series& s : result) points += static_cast<int64_t>(s.floats.size());
    cx_.current_samples = original_samples + points;
    cx_.update_peak();
    co_return result;
}

}  // namespace mmwatch::promql
