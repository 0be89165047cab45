#include "api/live_storage.hpp"

#include <algorithm>

namespace mmwatch::api {

const double* LivePoints::find(uint64_t ref) const noexcept {
    const auto it = std::lower_bound(stored.begin(), stored.end(), ref,
                                     [](const auto& p, uint64_t r) { return p.first < r; });
    return it != stored.end() && it->first == ref ? &it->second : nullptr;
}

namespace {

// The store's matches and the fresh series' merged in label order (both
// come sorted).
class MergedSeriesSet final : public promql::SeriesSet {
public:
    MergedSeriesSet(std::unique_ptr<promql::SeriesSet> stored, std::vector<std::pair<const promql::Labels*, uint64_t>> fresh)
        : stored_(std::move(stored)), fresh_(std::move(fresh)) {}

    Next next() override {
        if (advance_stored_) {
            const Next n = stored_->next();
            if (n == Next::pending) return n;
            stored_done_ = n == Next::end;
            advance_stored_ = false;
        }
        const bool fresh_left = at_ < fresh_.size();
        if (stored_done_ && !fresh_left) return Next::end;
        if (!stored_done_ && (!fresh_left || promql::compare(stored_->labels(), *fresh_[at_].first) < 0)) {
            labels_ = &stored_->labels();
            ref_ = stored_->ref();
            advance_stored_ = true;
        } else {
            labels_ = fresh_[at_].first;
            ref_ = fresh_[at_].second;
            ++at_;
        }
        return Next::series;
    }
    const promql::Labels& labels() const override { return *labels_; }
    uint64_t ref() const override { return ref_; }

private:
    std::unique_ptr<promql::SeriesSet> stored_;
    std::vector<std::pair<const promql::Labels*, uint64_t>> fresh_;
    size_t at_ = 0;
    bool advance_stored_ = true, stored_done_ = false;
    const promql::Labels* labels_ = nullptr;
    uint64_t ref_ = 0;
};

}  // namespace

std::unique_ptr<promql::SeriesSet> LiveStorage::select(std::span<const promql::Matcher> matchers, int64_t mint,
                                                       int64_t maxt) {
    const LivePoints& p = *points_;
    const bool in_range = p.t_ms >= mint && p.t_ms <= maxt;
    auto stored = base_.select_with(matchers, mint, maxt, in_range ? &p : nullptr);
    std::vector<std::pair<const promql::Labels*, uint64_t>> fresh;
    if (in_range) {
        for (size_t i = 0; i < p.fresh.size(); ++i)
            if (matches_all(p.fresh[i].first, matchers)) fresh.emplace_back(&p.fresh[i].first, kFreshRef | i);
    }
    if (fresh.empty()) return stored;
    std::sort(fresh.begin(), fresh.end(),
              [](const auto& a, const auto& b) { return promql::compare(*a.first, *b.first) < 0; });
    return std::make_unique<MergedSeriesSet>(std::move(stored), std::move(fresh));
}

size_t LiveStorage::read(uint64_t ref, int64_t mint, int64_t maxt, std::vector<promql::FPoint>& out, size_t max) {
    const LivePoints& p = *points_;
    const bool in_range = p.t_ms >= mint && p.t_ms <= maxt && max > 0;
    if (ref & kFreshRef) {
        const size_t i = size_t(ref & ~kFreshRef);
        if (!in_range || i >= p.fresh.size()) return 0;
        out.push_back({p.t_ms, p.fresh[i].second});
        return 1;
    }
    const size_t n = base_.read(ref, mint, maxt, out, max);
    // Fewer than asked: the stored samples in range are all read.
    if (n == max || !in_range) return n;
    const double* v = p.find(ref);
    if (!v || (!out.empty() && n > 0 && out.back().t >= p.t_ms)) return n;
    out.push_back({p.t_ms, *v});
    return n + 1;
}

}  // namespace mmwatch::api
