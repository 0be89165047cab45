// The store's memory: what it counts, how it stays within the budget
// (oldest pages first, from the tier most over its share), retention, and
// the time-driven upkeep that seals idle heads, closes quiet buckets and
// forgets series with no data left.
#include <algorithm>

#include "base/enum_names.hpp"
#include "history/chunk_codec.hpp"

#include "history/history_store.hpp"

namespace mmwatch::history {

namespace {

MMWATCH_ENUM_TABLE(Eviction, kEvictionNames) = {MMWATCH_ROW(budget), MMWATCH_ROW(retention)};
static_assert(base::rows_match(kEvictionNames, kEvictionCount));

// A head is sealed at this many bytes, whatever the budget: larger heads
// gain little compression and cost memory that cannot be evicted.
constexpr size_t kMaxHeadBytes = 8192;
// ...and at no fewer than this: a smaller head seals so often that its
// chunk overhead (a 16-byte reference and a page entry) shows.
constexpr size_t kMinHeadBytes = 256;
// Heads together may hold about this share of the budget; the cap of each
// is that share divided among the series.
constexpr uint64_t kHeadShareDivisor = 4;
// A quiet series' head is sealed after this long at least, so a sample
// that is late by a scrape or two still joins its window's chunk.
constexpr int64_t kQuietSealMs = 60'000;
// Pages dropped for retention per maintain() call, so one call stays short
// even when a clock jump makes everything old at once.
constexpr size_t kMaxRetentionPagesPerCall = 64;

}  // namespace

std::string_view eviction_name(Eviction e) noexcept { return base::name_of(kEvictionNames, e); }

void Store::update_head_cap() noexcept {
    const uint64_t share = config_.max_bytes / kHeadShareDivisor / std::max<size_t>(live_series_, 1);
    head_cap_bytes_ = size_t(std::clamp<uint64_t>(share, kMinHeadBytes, kMaxHeadBytes));
}

uint64_t Store::index_bytes() const noexcept {
    return uint64_t(series_bytes_) + uint64_t(feeder_bytes_) + symbols_.memory_bytes() + postings_.memory_bytes() +
           lookup_.memory_bytes() + (free_.capacity() + retiring_.capacity()) * sizeof(SeriesId);
}

uint64_t Store::bytes() const noexcept {
    uint64_t total = index_bytes() + times_.memory_bytes();
    for (size_t t = 0; t < kTierCount; ++t) total += pages_[t].memory_bytes() + uint64_t(head_bytes_[t]);
    return total;
}

StoreStats Store::stats() const {
    StoreStats st;
    for (size_t t = 0; t < kTierCount; ++t) {
        st.samples[t] = pages_[t].samples() + head_samples_[t];
        st.bytes[t] = pages_[t].memory_bytes() + uint64_t(head_bytes_[t]);
        st.chunks[t] = pages_[t].chunks();
    }
    st.bytes[0] += times_.memory_bytes();
    st.index_bytes = index_bytes();
    st.feeder_bytes = uint64_t(feeder_bytes_);
    st.total_bytes = bytes();
    st.series = live_series_;
    return st;
}

// --- the budget -------------------------------------------------------------------

void Store::enforce_budget() {
    while (bytes() > config_.max_bytes) {
        if (drop_oldest_page(Eviction::budget)) continue;
        // No page left: the heads hold the rest. Sealing one moves its
        // samples into a page, which the next turn may evict.
        if (!seal_some_head()) break;
    }
}

// The tier whose bytes are furthest over its share loses its oldest page.
bool Store::drop_oldest_page(Eviction why) {
    int victim = -1;
    double worst = -1;
    for (size_t t = 0; t < kTierCount; ++t) {
        if (pages_[t].empty()) continue;
        const double used = double(pages_[t].memory_bytes() + uint64_t(head_bytes_[t]) +
                                   (t == 0 ? times_.memory_bytes() : 0));
        const double ratio = config_.share_percent[t] == 0 ? 1e300 : used / config_.share_percent[t];
        if (ratio > worst) {
            worst = ratio;
            victim = int(t);
        }
    }
    if (victim < 0) return false;
    drop_page(size_t(victim), why);
    return true;
}

void Store::drop_page(size_t tier, Eviction why) {
    PageLog& log = pages_[tier];
    const Page& page = log.oldest();
    const uint32_t seq = log.oldest_seq();
    counters_.evicted[tier][size_t(why)] += page.samples;
    std::vector<SeriesId> owners = page.owners;
    for (const SeriesId id : owners) {
        ChunkList& chunks = slots_[id].chunks[tier];
        if (chunks.empty() || chunks.live().front().page != seq) {
            ++counters_.corrupt_chunks;  // a chunk list out of step with its pages: a bug
            continue;
        }
        const size_t before = chunks.capacity_bytes();
        chunks.pop_front();
        adjust(head_bytes_[tier], before, chunks.capacity_bytes());
    }
    if (tier == 0) release_times(log.oldest());
    log.drop_oldest();
    std::sort(owners.begin(), owners.end());
    owners.erase(std::unique(owners.begin(), owners.end()), owners.end());
    for (const SeriesId id : owners)
        if (slots_[id].live() && !has_data(slots_[id])) remove(id);
}

// Each raw chunk names its times part; the page going gives them back.
void Store::release_times(const Page& page) {
    const std::string_view bytes(page.bytes.get(), page.size);
    size_t pos = 0;
    while (pos < bytes.size()) {
        uint64_t len = 0, id = 0;
        if (!get_varint(bytes, pos, len) || len > bytes.size() - pos) break;
        size_t at = pos;
        if (get_varint(bytes, at, id) && id < UINT32_MAX) times_.release(uint32_t(id));
        pos += size_t(len);
    }
}

// Seals the next open head from a cursor (any order will do: what counts
// is that each call frees one) and gives its buffer back.
bool Store::seal_some_head() {
    for (size_t n = 0; n < slots_.size(); ++n) {
        if (pressure_cursor_ >= slots_.size()) pressure_cursor_ = 0;
        const SeriesId id = pressure_cursor_++;
        Series& s = slots_[id];
        if (!s.live()) continue;
        bool sealed = false;
        if (!s.head.empty() || s.head.capacity_bytes() > 0) {
            seal_raw(id, s);
            adjust(head_bytes_[0], s.head.capacity_bytes(), 0);
            s.head.release();
            sealed = true;
        }
        for (size_t i = 0; s.tiers && i + 1 < kTierCount; ++i) {
            TierHead& head = s.tiers->head[i];
            if (head.empty() && head.capacity_bytes() == 0) continue;
            seal_tier(id, s, i);
            adjust(head_bytes_[i + 1], head.capacity_bytes(), 0);
            head.release();
            sealed = true;
        }
        if (sealed) return true;
    }
    return false;
}

// --- upkeep -------------------------------------------------------------------------

bool Store::maintain(int64_t now_ms, size_t max_series) {
    for (size_t t = 0; t < kTierCount; ++t) {
        const int64_t keep = config_.retention_ms[t];
        size_t dropped = 0;
        while (keep > 0 && !pages_[t].empty() && dropped < kMaxRetentionPagesPerCall &&
               older_than(pages_[t].oldest().maxt, now_ms, keep)) {
            drop_page(t, Eviction::retention);
            ++dropped;
        }
    }
    bool wrapped = false;
    const size_t visit = std::min(max_series, slots_.size());  // at most one pass a call
    for (size_t n = 0; n < visit; ++n) {
        if (upkeep_cursor_ >= slots_.size()) {
            upkeep_cursor_ = 0;
            wrapped = true;
        }
        upkeep_series(upkeep_cursor_++, now_ms);
    }
    if (upkeep_cursor_ >= slots_.size()) {
        upkeep_cursor_ = 0;
        wrapped = true;
    }
    retire_removed();
    if (bytes() > config_.max_bytes) enforce_budget();
    return wrapped;
}

void Store::upkeep_series(SeriesId id, int64_t now_ms) {
    Series& s = slots_[id];
    if (!s.live()) return;
    // A head whose series has been quiet for a whole window is sealed; a
    // live series seals its own at the window's end.
    if (!s.head.empty() && (older_than(s.head.maxt(), now_ms, std::max(int64_t(1) << s.window_log2, kQuietSealMs)) ||
                            older_than(s.head.mint(), now_ms, kMaxChunkSpanMs[0])))
        seal_raw(id, s);
    if (s.tiers) {
        for (size_t i = 0; i + 1 < kTierCount; ++i) {
            // A bucket is closed once a whole bucket width has passed after
            // its end with no sample: the series has gone quiet.
            const Accumulator& acc = s.tiers->acc[i];
            if (acc.open() && older_than(acc.row.t, now_ms, 2 * kTierBucketMs[i + 1])) close_bucket(id, s, i);
            const TierHead& head = s.tiers->head[i];
            if (!head.empty() && (older_than(head.maxt(), now_ms, 2 * kTierBucketMs[i + 1]) ||
                                  older_than(head.mint(), now_ms, kMaxChunkSpanMs[i + 1])))
                seal_tier(id, s, i);
        }
    }
    if (!has_data(s)) remove(id);
}

}  // namespace mmwatch::history
