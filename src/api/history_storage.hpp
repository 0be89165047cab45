// The query engine's view of the history store: promql::Storage over
// history::Store. A select narrows the candidates with the postings index
// (an equality matcher's postings, intersected; a regex matcher's values
// looked up and their postings joined), then checks every matcher and the
// time range in batches of kSelectBatchSeries, so one call to next() does
// bounded work; the matches come out sorted by labels, as Prometheus's
// head answers. A series reference is the store's id with its generation:
// a series removed meanwhile (its slot reused) reads as empty. Reads go
// through one cached SampleIterator, so reading a series forward step by
// step decodes each chunk once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "history/history_store.hpp"
#include "history/iterator.hpp"
#include "promql/storage.hpp"

namespace mmwatch::api {

struct LivePoints;

// True if `ls` satisfies every matcher (an absent label matches as "").
[[nodiscard]] bool matches_all(const promql::Labels& ls, std::span<const promql::Matcher> matchers);

class HistoryStorage final : public promql::Storage {
public:
    // Candidates one SeriesSet::next() examines before answering pending.
    static constexpr size_t kSelectBatchSeries = 512;
    // Samples a cached iterator skips to reach a later read's start before
    // a fresh iterator (which finds the chunk by time) is cheaper.
    static constexpr size_t kMaxSkipSamples = 4096;

    explicit HistoryStorage(history::Store& store) : store_(store) {}

    std::unique_ptr<promql::SeriesSet> select(std::span<const promql::Matcher> matchers, int64_t mint,
                                              int64_t maxt) override {
        return select_with(matchers, mint, maxt, nullptr);
    }
    // select(), also finding the series `live` holds a point for (its time
    // is in [mint, maxt]) whose stored samples are all older (live_storage.hpp).
    std::unique_ptr<promql::SeriesSet> select_with(std::span<const promql::Matcher> matchers, int64_t mint,
                                                   int64_t maxt, const LivePoints* live);
    size_t read(uint64_t ref, int64_t mint, int64_t maxt, std::vector<promql::FPoint>& out, size_t max) override;
    void label_names(std::span<const promql::Matcher> matchers, int64_t mint, int64_t maxt,
                     std::vector<std::string>& out) override;
    void label_values(std::string_view name, std::span<const promql::Matcher> matchers, int64_t mint, int64_t maxt,
                      std::vector<std::string>& out) override;

    // The series ids the postings say may match (a superset, ascending).
    void candidates(std::span<const promql::Matcher> matchers, std::vector<history::SeriesId>& out);
    // True if series `id` has data overlapping [mint, maxt].
    [[nodiscard]] bool overlaps(history::SeriesId id, int64_t mint, int64_t maxt) const;
    // The label sets of the series matching `matchers` with data in
    // [mint, maxt], in one go (the API's series and label lookups).
    void matching(std::span<const promql::Matcher> matchers, int64_t mint, int64_t maxt,
                  std::vector<promql::Labels>& out);
    // The series' labels as the engine carries them.
    [[nodiscard]] promql::Labels labels_of(history::SeriesId id);

    [[nodiscard]] static uint64_t make_ref(history::SeriesId id, uint32_t generation) noexcept {
        return (uint64_t(generation) << 32) | id;
    }

private:
    // The iterator the last read() left, positioned after what it returned.
    struct Cursor {
        uint64_t ref = 0;
        std::optional<history::SampleIterator> it;
        bool has_peek = false;  // it holds a sample not yet returned (past the last read's maxt)
        int64_t next_t = 0;     // every sample before this was passed: a read from here on continues
    };
    void position(uint64_t ref, history::SeriesId id, int64_t mint);

    history::Store& store_;
    Cursor cursor_;
    std::vector<history::LabelView> scratch_;
};

}  // namespace mmwatch::api
