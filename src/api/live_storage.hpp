// The live values (docs/query.md "Live values"): a query near now sees
// the daemon's series as they are now, not as the last --history-interval
// stored them. When such a query starts, the daemon hands over LivePoints:
// each series of /metrics at that moment, one point at time t_ms, for the
// series the store has not seen since t_ms (by id) and for the series it
// does not have at all (by labels). LiveStorage is the query's
// promql::Storage: the history store's, with that one point added after a
// series' stored samples and the new series added to selects. Nothing is
// written to the store: the next interval stores the values as always.
// Bounded: one point per series of /metrics, taken once per query (the
// concurrency cap bounds the copies), freed with the query.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "api/history_storage.hpp"
#include "history/history_store.hpp"
#include "promql/label_set.hpp"
#include "promql/storage.hpp"

namespace mmwatch::api {

struct LivePoints {
    int64_t t_ms = 0;
    // Series the store has, newest stored sample before t_ms, by their
    // reference (HistoryStorage::make_ref), ascending.
    std::vector<std::pair<uint64_t, double>> stored;
    // Series the store does not have yet.
    std::vector<std::pair<promql::Labels, double>> fresh;

    [[nodiscard]] const double* find(uint64_t ref) const noexcept;
};

class LiveStorage final : public promql::Storage {
public:
    // A reference with this bit names points.fresh[ref & ~kFreshRef].
    static constexpr uint64_t kFreshRef = uint64_t(1) << 63;

    LiveStorage(HistoryStorage& base, std::shared_ptr<const LivePoints> points)
        : base_(base), points_(std::move(points)) {}

    std::unique_ptr<promql::SeriesSet> select(std::span<const promql::Matcher> matchers, int64_t mint,
                                              int64_t maxt) override;
    size_t read(uint64_t ref, int64_t mint, int64_t maxt, std::vector<promql::FPoint>& out, size_t max) override;
    void label_names(std::span<const promql::Matcher> matchers, int64_t mint, int64_t maxt,
                     std::vector<std::string>& out) override {
        base_.label_names(matchers, mint, maxt, out);
    }
    void label_values(std::string_view name, std::span<const promql::Matcher> matchers, int64_t mint, int64_t maxt,
                      std::vector<std::string>& out) override {
        base_.label_values(name, matchers, mint, maxt, out);
    }

private:
    HistoryStorage& base_;
    std::shared_ptr<const LivePoints> points_;
};

}  // namespace mmwatch::api
