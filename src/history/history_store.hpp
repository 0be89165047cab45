// The time-series store: every series mmwatch keeps history for, its
// samples at full resolution (a Gorilla head per series, sealed into
// chunks packed in pages) and in downsampled tiers, the postings index
// over its labels, and one memory budget over all of it. Pure: no clock
// (callers pass the time), no IO, no threads. docs/history.md.
//
// The budget (--history-bytes) covers everything the store allocates:
// pages, heads, chunk lists, series, label strings and the index. Past it
// the oldest page of the tier most over its share goes first (counted as
// evicted); a new series that would take the index past half the budget
// is refused (counted). Nothing grows past the budget: every call that
// adds memory evicts before it returns.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.hpp"
#include "base/id_index.hpp"
#include "history/labels.hpp"
#include "history/pages.hpp"
#include "history/postings.hpp"
#include "history/sample.hpp"
#include "history/series.hpp"
#include "history/symbols.hpp"
#include "history/tiers.hpp"

namespace mmwatch::history {

inline constexpr SeriesId kNoSeries = UINT32_MAX;

// How long each tier keeps data at most (0: only the budget limits it).
inline constexpr int64_t kDefaultRetentionMs[kTierCount] = {
    15ll * 24 * 3600 * 1000,    // raw: two weeks of full resolution
    90ll * 24 * 3600 * 1000,    // 1m: a quarter
    800ll * 24 * 3600 * 1000,   // 1h: two years and a bit, for year-on-year
};
// Each tier's share of the budget when tiers compete for room: the tier
// most over its share loses its oldest page first. A tier below its share
// may use what the others leave.
inline constexpr unsigned kDefaultSharePercent[kTierCount] = {60, 25, 15};

struct StoreConfig {
    uint64_t max_bytes = base::kDefaultHistoryBytes;
    size_t max_series = base::kDefaultHistoryMaxSeries;
    int64_t retention_ms[kTierCount] = {kDefaultRetentionMs[0], kDefaultRetentionMs[1], kDefaultRetentionMs[2]};
    unsigned share_percent[kTierCount] = {kDefaultSharePercent[0], kDefaultSharePercent[1], kDefaultSharePercent[2]};
};

// Why a sample was not stored.
enum class Refusal : uint8_t {
    out_of_order,   // older than the series' last sample
    duplicate,      // the same timestamp as the last, another value
    series_limit,   // a new series past --history-max-series
    memory_budget,  // a new series whose index entry the budget cannot hold
    bad_labels,     // a label set that breaks Prometheus' rules or our caps
};
inline constexpr size_t kRefusalCount = 5;
[[nodiscard]] std::string_view refusal_name(Refusal r) noexcept;

enum class Eviction : uint8_t { budget, retention };
inline constexpr size_t kEvictionCount = 2;
[[nodiscard]] std::string_view eviction_name(Eviction e) noexcept;

struct StoreCounters {
    uint64_t appended = 0;
    uint64_t refused[kRefusalCount] = {};
    uint64_t evicted[kTierCount][kEvictionCount] = {};  // samples (rows for tiers)
    uint64_t sealed_chunks[kTierCount] = {};
    uint64_t series_created = 0;
    uint64_t series_removed = 0;  // all their data evicted
    uint64_t tier_late = 0;       // samples for a bucket already closed, left out of the tiers
    uint64_t corrupt_chunks = 0;  // chunks in memory that did not decode (a bug if ever non-zero)
};

// What the store holds now, by tier.
struct StoreStats {
    uint64_t samples[kTierCount] = {};  // rows for downsampled tiers, open heads included
    uint64_t bytes[kTierCount] = {};    // pages, heads, chunk lists
    uint64_t chunks[kTierCount] = {};
    uint64_t index_bytes = 0;           // series, labels, strings, postings, lookup, feeder_bytes
    uint64_t feeder_bytes = 0;          // Store::set_feeder_bytes()
    uint64_t total_bytes = 0;
    size_t series = 0;
};

enum class AppendStatus : uint8_t { stored, same, refused };

class SampleIterator;
class TierIterator;

class Store {
public:
    explicit Store(const StoreConfig& config);
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // --- series -------------------------------------------------------------
    struct Lookup {
        SeriesId id = kNoSeries;
        Refusal refusal = Refusal::series_limit;  // when id == kNoSeries
    };
    // The series of a canonical label set (labels.hpp), created if new. A
    // series that holds no data at the next maintain() is forgotten.
    [[nodiscard]] Lookup series(std::span<const LabelView> canonical);
    // The series of a canonical label set, or kNoSeries.
    [[nodiscard]] SeriesId find(std::span<const LabelView> canonical) const;

    // --- samples ------------------------------------------------------------
    // Appends one sample. Refused (and counted) when older than the series'
    // last or at its time with other bits; `same` (not stored, not counted)
    // when it repeats the last sample exactly, as Prometheus treats a
    // resend.
    AppendStatus append(SeriesId id, int64_t t, uint64_t value_bits);
    void count_refused(Refusal r, uint64_t samples) noexcept { counters_.refused[size_t(r)] += samples; }

    // --- what a query engine needs -------------------------------------------
    // Series carrying name=value, sorted; empty if none. Valid until the
    // next call that changes the store.
    [[nodiscard]] std::span<const SeriesId> postings(std::string_view name, std::string_view value);
    // A label name's values / every label name, in no order.
    void label_values(std::string_view name, std::vector<std::string_view>& out);
    void label_names(std::vector<std::string_view>& out);
    // Every live series, ascending.
    void all_series(std::vector<SeriesId>& out) const;
    // The same walked in place, without a copy of the ids: every id is
    // below id_limit(), live() says which are in use. O(1) each.
    [[nodiscard]] SeriesId id_limit() const noexcept { return SeriesId(slots_.size()); }
    [[nodiscard]] size_t series_count() const noexcept { return live_series_; }
    [[nodiscard]] bool live(SeriesId id) const noexcept { return id < slots_.size() && slots_[id].live(); }
    // Bumped when a series' slot is reused: an id kept across loop turns is
    // still the same series only if its generation is.
    [[nodiscard]] uint32_t generation(SeriesId id) const noexcept { return slots_[id].generation; }
    // The sample pipeline's marks on a live series (series.hpp), kept for
    // its feeder (daemon::HistoryKeeper) at no byte per series: fed at its
    // own timestamps, and the last sample batch it was in.
    [[nodiscard]] bool own_times(SeriesId id) const noexcept { return slots_[id].own_times; }
    void set_own_times(SeriesId id, bool on) noexcept { slots_[id].own_times = on; }
    [[nodiscard]] uint32_t last_batch(SeriesId id) const noexcept { return slots_[id].last_batch; }
    void set_last_batch(SeriesId id, uint32_t batch) noexcept { slots_[id].last_batch = batch; }
    // Memory the store's feeders hold per series for it (the keeper's
    // batch lists, the OTLP series' history ids): counted in the index
    // bytes and the budget like the store's own.
    void set_feeder_bytes(uint64_t bytes) {
        adjust(feeder_bytes_, size_t(feeder_bytes_), size_t(bytes));
        check_budget();
    }
    // The series' labels, sorted by name (views valid until the store changes).
    void labels(SeriesId id, std::vector<LabelView>& out) const;
    // Samples with mint <= t <= maxt, oldest first: sealed chunks and head.
    [[nodiscard]] SampleIterator samples(SeriesId id, int64_t mint, int64_t maxt) const;
    // Closed buckets of a downsampled tier with mint <= start <= maxt.
    [[nodiscard]] TierIterator rows(SeriesId id, Tier tier, int64_t mint, int64_t maxt) const;

    // --- upkeep ---------------------------------------------------------------
    // Time-driven work, bounded: retention, sealing heads that have been
    // open too long, closing buckets of series gone quiet, forgetting series
    // with no data left. Looks at up to `max_series` series from a cursor;
    // true once a whole pass is done.
    bool maintain(int64_t now_ms, size_t max_series);
    // Seals every open head now (tests, and before a shutdown flush).
    void seal_all();

    [[nodiscard]] StoreStats stats() const;
    [[nodiscard]] const StoreCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] const StoreConfig& config() const noexcept { return config_; }
    [[nodiscard]] uint64_t bytes() const noexcept;

    // For the iterators, the flush and the export (same folder).
    [[nodiscard]] const Series& at(SeriesId id) const noexcept { return slots_[id]; }
    Series& at(SeriesId id) noexcept { return slots_[id]; }
    [[nodiscard]] const PageLog& pages(Tier t) const noexcept { return pages_[size_t(t)]; }
    [[nodiscard]] std::string_view symbol(uint32_t id) const noexcept { return symbols_.str(id); }
    // A raw chunk's times part (raw chunks name theirs by id: see seal_raw).
    [[nodiscard]] std::string_view times(uint32_t id) const noexcept { return times_.str(id); }
    void count_corrupt_chunk() const noexcept { ++counters_.corrupt_chunks; }
    // Restores a closed bucket read back from disk (flush.hpp): stored if
    // newer than the tier's last row, and it then closes the open bucket.
    void restore_row(SeriesId id, Tier tier, const TierRow& row);

private:
    SeriesId create(std::span<const LabelView> canonical, uint64_t h);
    void remove(SeriesId id);
    [[nodiscard]] bool has_data(const Series& s) const noexcept;
    void feed_tiers(SeriesId id, Series& s, int64_t t, uint64_t bits);
    void close_bucket(SeriesId id, Series& s, size_t tier);
    void append_row(SeriesId id, Series& s, size_t tier, const TierRow& row);
    TierState& tier_state(Series& s);
    void seal_raw(SeriesId id, Series& s);
    void seal_tier(SeriesId id, Series& s, size_t tier);
    void store_chunk(SeriesId id, Series& s, size_t tier, std::string_view chunk, int64_t mint, int64_t maxt,
                     uint32_t samples);
    void enforce_budget();
    bool drop_oldest_page(Eviction why);
    void drop_page(size_t tier, Eviction why);
    void release_times(const Page& page);
    bool seal_some_head();
    void upkeep_series(SeriesId id, int64_t now_ms);
    void retire_removed();
    void update_head_cap() noexcept;
    [[nodiscard]] uint64_t index_bytes() const noexcept;
    [[nodiscard]] uint64_t series_cost(std::span<const LabelView> canonical) const noexcept;
    void adjust(int64_t& bucket, size_t before, size_t after) noexcept {
        bucket += int64_t(after) - int64_t(before);
        grew_ = grew_ || after > before;
    }
    // Evicts if anything grew since the last check and the total is over.
    void check_budget() {
        if (!grew_) return;
        grew_ = false;
        if (bytes() > config_.max_bytes) enforce_budget();
    }

    StoreConfig config_;
    std::deque<Series> slots_;
    std::vector<SeriesId> free_;       // slots ready for reuse
    std::vector<SeriesId> retiring_;   // removed; reusable once the postings forget them
    size_t live_series_ = 0;
    SymbolTable symbols_;
    // The times part of every raw chunk, each distinct one kept once:
    // series scraped together share them (chunk_codec.hpp).
    SymbolTable times_;
    Postings postings_;
    base::IdIndex lookup_;                 // label-set hash -> series
    PageLog pages_[kTierCount];
    // Bytes outside the pages, kept as they change: heads and chunk lists
    // per tier, and series labels and tier states for the index.
    int64_t head_bytes_[kTierCount] = {};
    int64_t series_bytes_ = 0;
    int64_t feeder_bytes_ = 0;         // set_feeder_bytes()
    uint64_t head_samples_[kTierCount] = {};
    size_t head_cap_bytes_ = 0;        // a head is sealed when it reaches this
    bool grew_ = false;                // memory grew since check_budget() last looked
    SeriesId upkeep_cursor_ = 0;
    SeriesId pressure_cursor_ = 0;     // seal_some_head() resumes here
    mutable StoreCounters counters_;
    // Seal scratch, kept between seals.
    std::vector<int64_t> scratch_t_;
    std::vector<uint64_t> scratch_v_;
    std::vector<Sample> scratch_samples_;
    std::vector<TierRow> scratch_rows_;
    std::string scratch_chunk_;
    std::string scratch_times_;
};

}  // namespace mmwatch::history
