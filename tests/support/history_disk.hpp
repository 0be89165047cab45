// Saving a history store to segments and loading it back, whole, the way
// the daemon does it in slices: a flush a few series at a time written in
// small pieces, a reload a few KiB at a time.
#pragma once

#include <string>
#include <vector>

#include "history/flush.hpp"
#include "history/iterator.hpp"
#include "history/segment_file.hpp"
#include "history/history_store.hpp"

namespace mmwatch::test {

inline void flush_all(history::Store& store, history::FlushBuilder& builder, history::SegmentDir& dir,
                      size_t series_per_step = 7, size_t bytes_per_write = 1000) {
    if (dir.begin_flush()) builder.new_segment();
    builder.begin(store, 0);
    std::string out;
    bool done = false;
    while (!done || !out.empty()) {
        if (!done) done = builder.step(store, series_per_step, SIZE_MAX, out, 0);
        const size_t n = dir.write_some(out, bytes_per_write);
        out.erase(0, n);
    }
    dir.end_flush();
}

inline history::LoadCounters load_all(const std::string& path, history::Store& store, int64_t now_ms,
                                      size_t bytes_per_step = 4096) {
    std::string error;
    auto dir = history::SegmentDir::open(path, UINT64_MAX, error);
    history::Loader loader(store, now_ms);
    if (!dir) return loader.counters();
    for (const std::string& p : dir->paths()) {
        history::SegmentReader r;
        if (!r.open(p)) continue;
        loader.begin_segment();
        while (r.step(loader, bytes_per_step)) {
        }
    }
    return loader.counters();
}

// Every sample of a series, oldest first.
inline std::vector<history::Sample> all_samples(const history::Store& store, history::SeriesId id) {
    std::vector<history::Sample> out;
    history::SampleIterator it = store.samples(id, INT64_MIN, INT64_MAX);
    while (it.next()) out.push_back(it.sample());
    return out;
}

inline std::vector<history::TierRow> all_rows(const history::Store& store, history::SeriesId id, history::Tier tier) {
    std::vector<history::TierRow> out;
    history::TierIterator it = store.rows(id, tier, INT64_MIN, INT64_MAX);
    while (it.next()) out.push_back(it.row());
    return out;
}

}  // namespace mmwatch::test
