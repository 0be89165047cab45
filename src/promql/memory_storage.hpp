// Storage held in memory: series with their samples in time order. The
// store of the tests and of the conformance runner; small and simple (a
// scan over all series per select, a binary search per read).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "promql/storage.hpp"

namespace mmwatch::promql {

class MemoryStorage final : public Storage {
public:
    // Candidates a series set examines before answering `pending`.
    static constexpr size_t kSelectBatchSeries = 1024;

    // Adds a sample; a sample at a timestamp the series has replaces it.
    // Series references (SeriesSet::ref) stay valid until the next append.
    void append(const Labels& labels, int64_t t, double v);
    void clear();
    [[nodiscard]] size_t series_count() const noexcept { return series_.size(); }
    [[nodiscard]] size_t sample_count() const noexcept;

    std::unique_ptr<SeriesSet> select(std::span<const Matcher> matchers, int64_t mint, int64_t maxt) override;
    size_t read(uint64_t ref, int64_t mint, int64_t maxt, std::vector<FPoint>& out, size_t max) override;
    void label_names(std::span<const Matcher> matchers, int64_t mint, int64_t maxt,
                     std::vector<std::string>& out) override;
    void label_values(std::string_view name, std::span<const Matcher> matchers, int64_t mint, int64_t maxt,
                      std::vector<std::string>& out) override;

    struct StoredSeries {
        Labels labels;
        std::vector<FPoint> samples;
    };

private:
    // Kept sorted by labels, so series sets come out in label order.
    std::vector<StoredSeries> series_;
    size_t last_ = 0;  // the series appended to last
    friend class MemorySeriesSet;
};

}  // namespace mmwatch::promql
