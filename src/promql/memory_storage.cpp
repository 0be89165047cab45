#include "promql/memory_storage.hpp"

#include <algorithm>

namespace mmwatch::promql {

namespace {

bool matches_all(const Labels& ls, std::span<const Matcher> matchers) {
    for (const Matcher& m : matchers)
        if (!m.matches(ls.get(m.name()))) return false;
    return true;
}

bool has_samples_in(const std::vector<FPoint>& s, int64_t mint, int64_t maxt) {
    auto it = std::lower_bound(s.begin(), s.end(), mint, [](const FPoint& p, int64_t t) { return p.t < t; });
    return it != s.end() && it->t <= maxt;
}

}  // namespace

class MemorySeriesSet final : public SeriesSet {
public:
    MemorySeriesSet(const MemoryStorage& store, std::span<const Matcher> matchers, int64_t mint, int64_t maxt)
        : store_(store), matchers_(matchers.begin(), matchers.end()), mint_(mint), maxt_(maxt) {}

    Next next() override {
        const auto& all = store_.series_;
        for (size_t examined = 0; examined < MemoryStorage::kSelectBatchSeries; ++examined) {
            if (++at_ >= all.size()) {
                at_ = all.size();
                return Next::end;
            }
            const auto& s = all[at_];
            if (has_samples_in(s.samples, mint_, maxt_) && matches_all(s.labels, matchers_)) return Next::series;
        }
        return Next::pending;
    }
    const Labels& labels() const override { return store_.series_[at_].labels; }
    uint64_t ref() const override { return at_; }

private:
    const MemoryStorage& store_;
    std::vector<Matcher> matchers_;
    int64_t mint_, maxt_;
    size_t at_ = static_cast<size_t>(-1);
};

void MemoryStorage::append(const Labels& labels, int64_t t, double v) {
    // Loads append series after series: try the last one first.
    if (last_ >= series_.size() || !(series_[last_].labels == labels)) {
        auto it = std::lower_bound(series_.begin(), series_.end(), labels,
                                   [](const StoredSeries& s, const Labels& l) { return compare(s.labels, l) < 0; });
        if (it == series_.end() || !(it->labels == labels)) it = series_.insert(it, StoredSeries{labels, {}});
        last_ = static_cast<size_t>(it - series_.begin());
    }
    auto& s = series_[last_].samples;
    if (s.empty() || s.back().t < t) {
        s.push_back({t, v});
        return;
    }
    auto at = std::lower_bound(s.begin(), s.end(), t, [](const FPoint& p, int64_t x) { return p.t < x; });
    if (at != s.end() && at->t == t) at->f = v;
    else s.insert(at, {t, v});
}

void MemoryStorage::clear() {
    series_.clear();
    last_ = 0;
}

size_t MemoryStorage::sample_count() const noexcept {
    size_t n = 0;
    for (const auto& s : series_) n += s.samples.size();
    return n;
}

std::unique_ptr<SeriesSet> MemoryStorage::select(std::span<const Matcher> matchers, int64_t mint, int64_t maxt) {
    return std::make_unique<MemorySeriesSet>(*this, matchers, mint, maxt);
}

size_t MemoryStorage::read(uint64_t ref, int64_t mint, int64_t maxt, std::vector<FPoint>& out, size_t max) {
    if (ref >= series_.size()) return 0;
    const auto& s = series_[ref].samples;
    auto it = std::lower_bound(s.begin(), s.end(), mint, [](const FPoint& p, int64_t t) { return p.t < t; });
    size_t n = 0;
    for (; it != s.end() && it->t <= maxt && n < max; ++it, ++n) out.push_back(*it);
    return n;
}

void MemoryStorage::label_names(std::span<const Matcher> matchers, int64_t mint, int64_t maxt,
                                std::vector<std::string>& out) {
    out.clear();
    for (const auto& s : series_) {
        if (!has_samples_in(s.samples, mint, maxt) || !matches_all(s.labels, matchers)) continue;
        for (const Label l : s.labels) out.emplace_back(l.name);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

void MemoryStorage::label_values(std::string_view name, std::span<const Matcher> matchers, int64_t mint,
                                 int64_t maxt, std::vector<std::string>& out) {
    out.clear();
    for (const auto& s : series_) {
        if (!has_samples_in(s.samples, mint, maxt) || !matches_all(s.labels, matchers)) continue;
        if (const auto v = s.labels.get(name); !v.empty()) out.emplace_back(v);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace mmwatch::promql
