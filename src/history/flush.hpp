// Between the store and its segments: a flush turns what the store holds
// and the disk does not (each series' samples and tier rows after its
// flushed_t) into records, a few series per step; a load applies the
// records of segments read back at start. Pure: bytes in, bytes out; the
// files are segment_file.hpp's. docs/history.md, "On disk".
//
// What a crash can lose is what arrived since the last flush finished
// (--history-flush-interval), and the record being written when it hit
// (torn: skipped and counted on reload).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "history/segment.hpp"
#include "history/history_store.hpp"

namespace mmwatch::history {

struct FlushCounters {
    uint64_t flushes = 0;       // completed
    uint64_t last_duration_ms = 0;   // begin() to the step that finished, on the monotonic clock
    uint64_t duration_ms = 0;        // summed over every flush
    uint64_t series = 0;        // series with something written
    uint64_t samples = 0;
    uint64_t rows = 0;          // downsampled rows
    uint64_t record_bytes = 0;  // as written, compressed
};

class FlushBuilder {
public:
    // Starts a flush over every series the store holds now; `mono_ms` is the
    // loop's monotonic time, for the flush's duration.
    void begin(const Store& store, uint64_t mono_ms);
    // Encodes more series into records appended to `out`, stopping after
    // `max_series` series or once `max_samples` samples and rows are
    // written (a series is always finished); true once every series is done
    // (the last records are in `out` then).
    bool step(Store& store, size_t max_series, size_t max_samples, std::string& out, uint64_t mono_ms);
    // The next records go to a new segment, which must define its series
    // again (a segment is self-contained).
    void new_segment();
    [[nodiscard]] bool active() const noexcept { return next_ < ids_.size(); }
    [[nodiscard]] const FlushCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] size_t memory_bytes() const noexcept;

private:
    size_t flush_series(Store& store, SeriesId id);
    uint64_t ref_of(const Store& store, SeriesId id);
    void emit(std::string& out);

    struct Known {
        uint32_t generation = 0;
        uint32_t segment = 0;  // the segment epoch it was defined in
        uint64_t ref = 0;
    };
    std::vector<std::pair<SeriesId, uint32_t>> ids_;  // with their generation
    size_t next_ = 0;
    uint64_t began_ms_ = 0;
    std::vector<Known> known_;  // by SeriesId
    uint32_t segment_ = 1;
    uint64_t next_ref_ = 0;
    std::string series_body_, raw_body_, tier_body_[kTierCount - 1];
    bool series_pending_ = false, raw_pending_ = false, tier_pending_[kTierCount - 1] = {};
    std::vector<Sample> samples_;
    std::vector<TierRow> rows_;
    std::vector<LabelView> labels_;
    std::string chunk_;
    FlushCounters counters_;
};

struct LoadCounters {
    uint64_t records = 0;
    uint64_t corrupt = 0;          // stretches of bytes that were no valid record (skipped)
    uint64_t torn = 0;             // segments that ended inside a record
    uint64_t bad_records = 0;      // checked records whose contents did not decode
    uint64_t unknown_refs = 0;     // entries for a series the segment never defined
    uint64_t series_refused = 0;   // defined, but the store refused them (labels, caps, budget)
    uint64_t samples = 0;          // appended
    uint64_t samples_skipped = 0;  // already held, or older than the raw retention
    uint64_t rows = 0;
    uint64_t segments = 0;
};

class Loader {
public:
    // `now_ms` decides what is past retention and not worth loading.
    Loader(Store& store, int64_t now_ms) : store_(store), now_ms_(now_ms) {}
    void begin_segment();
    // One record as scanned; anything wrong in it is counted, never fatal.
    void apply(const Scan& scan);
    // Bytes that were no valid record were skipped.
    void corrupt() noexcept { ++counters_.corrupt; }
    // The end of a segment; `torn` if it ended inside a record.
    void end_segment(bool torn);
    [[nodiscard]] const LoadCounters& counters() const noexcept { return counters_; }

private:
    void apply_series(std::string_view body);
    void apply_raw(std::string_view body);
    void apply_tier(std::string_view body);
    [[nodiscard]] SeriesId resolve(uint64_t ref);

    Store& store_;
    int64_t now_ms_;
    std::unordered_map<uint64_t, std::pair<SeriesId, uint32_t>> refs_;  // this segment's, with generations
    std::string scratch_;
    std::vector<LabelView> labels_;
    std::vector<Sample> samples_;
    std::vector<TierRow> rows_;
    LoadCounters counters_;
};

}  // namespace mmwatch::history
