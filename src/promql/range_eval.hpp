// Evaluator::range_eval, Prometheus's rangeEval: the arguments evaluated
// to matrices, then a call per step with the instant vectors of that step,
// the results gathered into series. Included by the files that use it.
#pragma once

#include <algorithm>
#include <bit>
#include <type_traits>
#include <unordered_map>

#include "promql/evaluator.hpp"

namespace mmwatch::promql {

struct LabelsHash {
    size_t operator()(const Labels& l) const noexcept { return static_cast<size_t>(l.hash()); }
};

// The join signature of a label set for vector matching: the labels named
// in on(...), or all but those in ignoring(...) and __name__.
[[nodiscard]] std::string matching_signature(const Labels& ls, const VectorMatching& m);

inline constexpr int64_t kOutputSampleWork = 4;
// Work units of one series' join signature (built and looked up, ~0.3 us),
// and how many series are signed between two ticks: signing 10,000 series
// was one uncut slice of ~3 ms.
inline constexpr int64_t kSignSeriesWork = 8;
inline constexpr size_t kSignChunkSeries = 256;
// How many series a step function that runs as a coroutine (the binary
// operators) handles between two ticks; each counts kOutputSampleWork.
inline constexpr size_t kStepChunkSeries = 256;
// Work units of putting one series into its aggregation group (its
// grouping key built and looked up, ~0.5 us): counted per series, or
// grouping 10,000 series was one slice of ~5 ms.
inline constexpr int64_t kGroupSeriesWork = 16;
// Units of freeing one series of a matrix an evaluation is done with, and
// how many are freed between two ticks: an aggregation's input of 10,000
// series freed at once was one slice of 5 to 9 ms with eight queries at
// once (their memory out of the caches).
inline constexpr int64_t kReleaseSeriesWork = 16;
inline constexpr size_t kReleaseChunkSeries = 256;
// Units of comparing two series' label sets and moving one (~0.1 us), and
// how many are sorted or merged between two ticks (Evaluator::sort_series).
inline constexpr int64_t kSortSeriesWork = 4;
inline constexpr size_t kSortChunkSeries = 256;

// What a step function that takes a cursor (handling kStepChunkSeries
// samples a call, the element-wise functions) sets it to once its step is
// complete.
inline constexpr size_t kStepComplete = SIZE_MAX;

// Erases up to `n` samples from the end of `v`, keeping its room; the
// units of that, one a sample (a label set let go, 10 to 20 ns measured).
[[nodiscard]] inline int64_t erase_tail(Vector& v, size_t n) {
    n = std::min(n, v.size());
    v.erase(v.end() - static_cast<std::ptrdiff_t>(n), v.end());
    return static_cast<int64_t>(n);
}

// The units of `series` more series of a step (at most kStepChunkSeries).
[[nodiscard]] inline int64_t chunk_units(size_t series) noexcept {
    return static_cast<int64_t>(std::min(series, kStepChunkSeries));
}

// Series numbered by label set, for finding a set again or twice: open
// addressing over one array of (hash, number). A node per set (a hash
// map) was 10,000 small blocks freed together, which glibc's malloc then
// sorted all at once in the next large allocation: a slice of 3 to 7 ms.
class LabelsetIndex {
public:
    explicit LabelsetIndex(size_t expected = 0) : slots_(std::bit_ceil(2 * expected + 2)) {}
    // The number of the series labelled `ls` (`labels_of(n)` gives series
    // n's), and false; or, when none is, records `next` for it and true.
    template <class LabelsOf>
    std::pair<size_t, bool> find_or_add(const Labels& ls, size_t next, const LabelsOf& labels_of) {
        if (2 * (used_ + 1) > slots_.size()) grow();
        const uint64_t h = ls.hash();
        const size_t mask = slots_.size() - 1;
        for (size_t k = static_cast<size_t>(h) & mask;; k = (k + 1) & mask) {
            Slot& s = slots_[k];
            if (s.number_plus_1 == 0) {
                s = {h, next + 1};
                ++used_;
                return {next, true};
            }
            if (s.hash == h && labels_of(s.number_plus_1 - 1) == ls) return {s.number_plus_1 - 1, false};
        }
    }

    // Room for `n` sets, made at once (an empty index only).
    void reserve(size_t n) {
        if (used_ == 0 && 2 * (n + 1) > slots_.size()) slots_.assign(std::bit_ceil(2 * n + 2), Slot{});
    }

private:
    struct Slot {
        uint64_t hash = 0;
        size_t number_plus_1 = 0;  // 0: empty
    };
    void grow() {
        std::vector<Slot> old(2 * slots_.size());
        old.swap(slots_);
        const size_t mask = slots_.size() - 1;
        for (const Slot& s : old) {
            if (s.number_plus_1 == 0) continue;
            size_t k = static_cast<size_t>(s.hash) & mask;
            while (slots_[k].number_plus_1 != 0) k = (k + 1) & mask;
            slots_[k] = s;
        }
    }
    std::vector<Slot> slots_;
    size_t used_ = 0;
};

// The per-step state of range_eval, in plain functions between its
// suspension points.
class StepGatherer {
public:
    StepGatherer(std::vector<Matrix>& inputs, const VectorMatching* matching);
    // The signature ordinals of input series [from, to), called in order
    // from 0 to the input's size.
    void sign(size_t input, size_t from, size_t to);
    // Frees up to `n` of the signatures once every input is signed (only
    // their ordinals are used then); true once none is left. 100,000
    // freed with the query's frames held the loop 9 ms.
    bool forget_signatures(size_t n);
    // Adds to `in` the samples at `ts` of at most `max_series` more input
    // series (the first call of a step empties it); returns the series
    // looked at, `complete` once every input's have been.
    int64_t gather(int64_t ts, StepInput& in, size_t max_series, bool& complete);
    [[nodiscard]] uint32_t num_sigs() const noexcept { return num_sigs_; }

private:
    std::vector<Matrix>& inputs_;
    const VectorMatching* matching_;
    std::vector<std::vector<uint32_t>> series_sigs_;
    std::vector<std::vector<size_t>> cursor_;
    std::unordered_map<std::string, uint32_t> ordinals_;
    uint32_t num_sigs_ = 0;
    size_t input_ = 0, next_ = 0;  // where gather() goes on within a step
};

// range_eval's results gathered into series by label set.
class StepSeries {
public:
    // Appends samples [from, to) of a step; false when one label set comes
    // twice.
    bool add(Vector& out, int64_t ts, size_t from, size_t to);
    // Room for the first step's `n` series, made before it: grown through
    // a step of 100,000 it moved them all in one slice (2 to 5 ms).
    void reserve(size_t n) {
        if (!result_.empty()) return;
        index_.reserve(n);
        result_.reserve(n);
        last_ts_.reserve(n);
    }
    [[nodiscard]] Matrix take() { return std::move(result_); }

private:
    LabelsetIndex index_;
    Matrix result_;
    std::vector<int64_t> last_ts_;
};

[[nodiscard]] int64_t total_points(const Matrix& m) noexcept;

// A step function is called as fn(in, out) and returns the step's error,
// or a Task of it when it ticks the budget itself (and counts its own
// output samples); or it is called as fn(in, out, next) again and again,
// a budget tick between calls, until it sets `next` to kStepComplete.
template <class F>
constexpr bool is_cursor_step = std::is_invocable_v<F&, const StepInput&, Vector&, size_t&>;
template <class F>
constexpr bool is_async_step() {
    if constexpr (is_cursor_step<F>) return false;
    else return std::is_same_v<std::invoke_result_t<F&, const StepInput&, Vector&>, Task<std::string>>;
}

template <class F>
Task<Matrix> Evaluator::range_eval(const VectorMatching* matching, F fn, std::vector<Expr*> exprs) {
    const size_t n = exprs.size();
    const int64_t original_samples = cx_.current_samples;
    std::vector<Matrix> inputs(n);
    for (size_t i = 0; i < n; ++i) {
        if (exprs[i] == nullptr || exprs[i]->type() == ValueType::string) continue;
        inputs[i] = co_await eval(*exprs[i]);
    }
    StepGatherer gatherer(inputs, matching);
    if (matching) {
        for (size_t i = 0; i < n; ++i) {
            for (size_t from = 0; from < inputs[i].size(); from += kSignChunkSeries) {
                const size_t to = std::min(inputs[i].size(), from + kSignChunkSeries);
                gatherer.sign(i, from, to);
                co_await cx_.budget.tick(kSignSeriesWork * static_cast<int64_t>(to - from));
            }
            co_await cx_.budget.tick(1);
        }
        while (!gatherer.forget_signatures(kReleaseChunkSeries))
            co_await cx_.budget.tick(kReleaseSeriesWork * static_cast<int64_t>(kReleaseChunkSeries));
    }
    constexpr bool kAsyncStep = is_async_step<F>();
    StepInput in;
    in.vectors.resize(n);
    if (matching) in.sigs.resize(n);
    in.num_sigs = gatherer.num_sigs();
    StepSeries series;
    int64_t held = cx_.current_samples;
    Vector out;
    for (int64_t ts = start_; ts <= end_; ts += interval_) {
        cx_.current_samples = held;
        // The last step's samples let go in parts (inline, as gathering):
        // 100,000 samples' label sets at once held the loop 2 to 3 ms.
        for (size_t i = 0; i <= n; ++i) {
            Vector& v = i < n ? in.vectors[i] : out;
            while (!v.empty()) co_await cx_.budget.tick(erase_tail(v, kReleaseChunkSeries));
        }
        int64_t work = 1;
        // In chunks, inline: 2 x 10,000 series gathered at once were a
        // slice of 3 to 5 ms. (Not as a coroutine of its own: a task that
        // completes without suspending nests the stack where the compiler
        // makes no tail call, as under ASan, and a whole query in one slice
        // then overflowed it.)
        for (bool complete = false; !complete;) {
            const int64_t looked_at = gatherer.gather(ts, in, kStepChunkSeries, complete);
            if (complete) work += looked_at;
            else co_await cx_.budget.tick(looked_at);
        }
        std::string err;
        // A result sample costs more than an input one (labels built,
        // hashed, gathered): weighted so a slice of binary operators takes
        // about as long as one of selectors (docs/query.md).
        int64_t out_work = 0;
        if constexpr (kAsyncStep) {
            err = co_await fn(in, out);
        } else if constexpr (is_cursor_step<F>) {
            for (size_t next = 0, before = 0; err.empty(); before = out.size()) {
                err = fn(in, out, next);
                out_work = kOutputSampleWork * static_cast<int64_t>(out.size() - before);
                if (next == kStepComplete) break;
                co_await cx_.budget.tick(1 + out_work);
            }
        } else {
            err = fn(in, out);
            out_work = kOutputSampleWork * static_cast<int64_t>(out.size());
        }
        if (!err.empty()) co_await cx_.fail(ErrorType::execution, std::move(err));
        co_await cx_.budget.tick(work + out_work);
        cx_.current_samples += static_cast<int64_t>(out.size());
        held += static_cast<int64_t>(out.size());
        cx_.update_peak();
        if (cx_.over_limit()) {
            // Freed in parts first: a failed query's frames go at once, and
            // 2 x 10,000 input series with them were a slice of 4 to 6 ms.
            (void)co_await release_step(in, out);
            for (Matrix& m : inputs) (void)co_await release(std::move(m));
            (void)co_await release(series.take());
            co_await cx_.too_many_samples();
        }
        if (instant()) {
            // Prometheus keeps an instant result in the function's order.
            if (!cx_.opts.delayed_name_removal && contains_same_labelset(out))
                co_await cx_.fail(ErrorType::execution, std::string(kSameLabelsetError));
            Matrix m;
            m.reserve(out.size());
            for (Sample& s : out) m.push_back(Series{std::move(s.metric), {FPoint{ts, s.f}}, s.drop_name});
            cx_.current_samples = original_samples + static_cast<int64_t>(m.size());
            cx_.update_peak();
            (void)co_await release_step(in, out);
            for (Matrix& input : inputs) (void)co_await release(std::move(input));
            co_return m;
        }
        series.reserve(out.size());
        for (size_t from = 0; from < out.size(); from += kStepChunkSeries) {
            const size_t to = std::min(out.size(), from + kStepChunkSeries);
            if (!series.add(out, ts, from, to)) co_await cx_.fail(ErrorType::execution, std::string(kSameLabelsetError));
            if (to < out.size()) co_await cx_.budget.tick(kOutputSampleWork * static_cast<int64_t>(to - from));
        }
    }
    (void)co_await release_step(in, out);
    for (Matrix& m : inputs) (void)co_await release(std::move(m));
    Matrix result = series.take();
    cx_.current_samples = original_samples + total_points(result);
    cx_.update_peak();
    co_return result;
}

}  // namespace mmwatch::promql
