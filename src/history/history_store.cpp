// Series, appends and sealing. The budget, eviction and time-driven
// upkeep are in history_store_upkeep.cpp; reading is in iterator.cpp.
#include "history/history_store.hpp"

#include <algorithm>

#include "base/enum_names.hpp"
#include "history/chunk_codec.hpp"
#include "history/iterator.hpp"

namespace mmwatch::history {

namespace {

MMWATCH_ENUM_TABLE(Refusal, kRefusalNames) = {
    MMWATCH_ROW(out_of_order), MMWATCH_ROW(duplicate),  MMWATCH_ROW(series_limit),
    MMWATCH_ROW(memory_budget), MMWATCH_ROW(bad_labels),
};
static_assert(base::rows_match(kRefusalNames, kRefusalCount));

// Pages hold sealed chunks of one tier; the unit of eviction. 64 KiB holds
// a few dozen chunks, so dropping one frees little at a time, and a 1 MiB
// budget still has pages to choose from.
constexpr uint32_t kPageBytes = 64 * 1024;
// A head is sealed at whichever comes first: the end of its window, this
// many samples (a bound on the work of one seal), the head's byte cap, or
// kMaxChunkSpanMs.
constexpr uint32_t kSealSamples = 4096;
// Raw chunk windows: a power of two of milliseconds holding about this many
// samples at the series' interval, at least 2^kMinWindowLog2 ms (65.5 s)
// and at most the chunk span. Windows are aligned to the epoch, so series scraped at the
// same interval seal at the same moments with the same timestamps, whose
// times part is then kept once. A new series starts with the smallest
// window, to fall in step soon. 1 s: 2^20 ms (17.5 min, 1,048 samples);
// 15 s: 2^22 ms (70 min, 280 samples).
constexpr int64_t kWindowSamples = 2048;
constexpr uint8_t kMinWindowLog2 = 16;  // also each series' first (series.hpp)

uint8_t window_log2_for(int64_t interval_ms) noexcept {
    const int64_t want = std::min(std::clamp<int64_t>(interval_ms, 1, kMaxChunkSpanMs[0]) * kWindowSamples,
                                  kMaxChunkSpanMs[0]);
    uint8_t w = kMinWindowLog2;
    while ((int64_t(2) << w) <= want) ++w;
    return w;
}

}  // namespace

std::string_view refusal_name(Refusal r) noexcept { return base::name_of(kRefusalNames, r); }

Store::Store(const StoreConfig& config)
    : config_(config), pages_{PageLog(kPageBytes), PageLog(kPageBytes), PageLog(kPageBytes)} {
    update_head_cap();
}

// --- series -------------------------------------------------------------------

SeriesId Store::find(std::span<const LabelView> canonical) const {
    const uint64_t h = hash_labels(canonical);
    return lookup_.find(h, [&](uint32_t id) {
        const std::vector<Label>& have = slots_[id].labels;
        if (have.size() != canonical.size()) return false;
        for (size_t i = 0; i < have.size(); ++i) {
            if (symbols_.str(have[i].name) != canonical[i].name || symbols_.str(have[i].value) != canonical[i].value)
                return false;
        }
        return true;
    });
}

Store::Lookup Store::series(std::span<const LabelView> canonical) {
    if (const SeriesId id = find(canonical); id != kNoSeries) return {id, {}};
    if (live_series_ >= config_.max_series) return {kNoSeries, Refusal::series_limit};
    // The index may take half the budget: the rest is for samples.
    if (index_bytes() + series_cost(canonical) > config_.max_bytes / 2) return {kNoSeries, Refusal::memory_budget};
    const SeriesId id = create(canonical, hash_labels(canonical));
    enforce_budget();
    return {id, {}};
}

uint64_t Store::series_cost(std::span<const LabelView> canonical) const noexcept {
    // A slot, its tier state, the lookup table's growth if this id makes it
    // grow (a doubling: at 32,768 series that alone is 256 KiB), and per
    // label its pair, its postings entry (an unordered_map node and a list)
    // and any string not yet held.
    uint64_t cost = sizeof(Series) + sizeof(TierState) + 64 + lookup_.growth_bytes(1);
    for (const LabelView& l : canonical) {
        cost += sizeof(Label) + 96;
        if (symbols_.find(l.name) == SymbolTable::kNone) cost += SymbolTable::cost_bytes(l.name);
        if (symbols_.find(l.value) == SymbolTable::kNone) cost += SymbolTable::cost_bytes(l.value);
    }
    return cost;
}

SeriesId Store::create(std::span<const LabelView> canonical, uint64_t h) {
    if (free_.empty() && !retiring_.empty()) retire_removed();
    SeriesId id;
    if (!free_.empty()) {
        id = free_.back();
        free_.pop_back();
    } else {
        id = SeriesId(slots_.size());
        slots_.emplace_back();
        series_bytes_ += sizeof(Series);
    }
    Series& s = slots_[id];
    s.labels.reserve(canonical.size());
    for (const LabelView& l : canonical) s.labels.push_back({symbols_.intern(l.name), symbols_.intern(l.value)});
    series_bytes_ += int64_t(s.labels.capacity() * sizeof(Label));
    // Made now, not at the first sample, so the index's size is known when
    // the series is admitted.
    tier_state(s);
    s.hash = uint32_t(h);
    lookup_.insert(h, id);
    postings_.add(id, s.labels);
    ++live_series_;
    ++counters_.series_created;
    update_head_cap();
    return id;
}

// Every byte the series held goes; the slot waits in retiring_ until the
// postings have forgotten its id (a batched pass, retire_removed()).
void Store::remove(SeriesId id) {
    Series& s = slots_[id];
    postings_.remove_later(id, s.labels);
    lookup_.erase(s.hash, id);
    for (const Label& l : s.labels) {
        symbols_.release(l.name);
        symbols_.release(l.value);
    }
    series_bytes_ -= int64_t(s.labels.capacity() * sizeof(Label));
    adjust(head_bytes_[0], s.head.capacity_bytes(), 0);
    for (size_t t = 0; t < kTierCount; ++t) adjust(head_bytes_[t], s.chunks[t].capacity_bytes(), 0);
    if (s.tiers) {
        for (size_t i = 0; i + 1 < kTierCount; ++i) adjust(head_bytes_[i + 1], s.tiers->head[i].capacity_bytes(), 0);
        series_bytes_ -= sizeof(TierState);
    }
    const uint32_t generation = s.generation + 1;
    s = Series{};
    s.generation = generation;
    retiring_.push_back(id);
    --live_series_;
    ++counters_.series_removed;
    update_head_cap();
}

void Store::retire_removed() {
    postings_.flush_removals();
    free_.insert(free_.end(), retiring_.begin(), retiring_.end());
    retiring_.clear();
}

bool Store::has_data(const Series& s) const noexcept {
    if (!s.head.empty()) return true;
    for (const ChunkList& c : s.chunks)
        if (!c.empty()) return true;
    if (s.tiers) {
        for (size_t i = 0; i + 1 < kTierCount; ++i)
            if (!s.tiers->head[i].empty() || s.tiers->acc[i].row.count > 0) return true;
    }
    return false;
}

void Store::labels(SeriesId id, std::vector<LabelView>& out) const {
    out.clear();
    for (const Label& l : slots_[id].labels) out.push_back({symbols_.str(l.name), symbols_.str(l.value)});
}

std::span<const SeriesId> Store::postings(std::string_view name, std::string_view value) {
    retire_removed();
    const uint32_t n = symbols_.find(name), v = symbols_.find(value);
    if (n == SymbolTable::kNone || v == SymbolTable::kNone) return {};
    return postings_.series(n, v);
}

void Store::label_values(std::string_view name, std::vector<std::string_view>& out) {
    retire_removed();
    out.clear();
    const uint32_t n = symbols_.find(name);
    if (n == SymbolTable::kNone) return;
    for (const uint32_t v : postings_.values(n)) out.push_back(symbols_.str(v));
}

void Store::label_names(std::vector<std::string_view>& out) {
    retire_removed();
    std::vector<uint32_t> names;
    postings_.names(names);
    out.clear();
    for (const uint32_t n : names) out.push_back(symbols_.str(n));
}

void Store::all_series(std::vector<SeriesId>& out) const {
    out.clear();
    for (SeriesId id = 0; id < slots_.size(); ++id)
        if (slots_[id].live()) out.push_back(id);
}

SampleIterator Store::samples(SeriesId id, int64_t mint, int64_t maxt) const {
    return SampleIterator(*this, id, mint, maxt);
}

TierIterator Store::rows(SeriesId id, Tier tier, int64_t mint, int64_t maxt) const {
    return TierIterator(*this, id, tier, mint, maxt);
}

// --- appends ------------------------------------------------------------------

AppendStatus Store::append(SeriesId id, int64_t t, uint64_t bits) {
    Series& s = slots_[id];
    if (s.has_last && t <= s.last_t) {
        if (t == s.last_t && bits == s.last_bits) return AppendStatus::same;
        const Refusal r = t == s.last_t ? Refusal::duplicate : Refusal::out_of_order;
        ++counters_.refused[size_t(r)];
        return AppendStatus::refused;
    }
    // An arithmetic shift floors, so negative times find their window too.
    if (!s.head.empty() && (t >> s.window_log2) != (s.head.mint() >> s.window_log2)) seal_raw(id, s);
    s.has_last = true;
    s.last_t = t;
    s.last_bits = bits;
    const size_t before = s.head.capacity_bytes();
    s.head.append(t, {bits});
    adjust(head_bytes_[0], before, s.head.capacity_bytes());
    ++head_samples_[0];
    ++counters_.appended;
    if (!is_stale_marker(bits)) feed_tiers(id, s, t, bits);
    if (s.head.count() >= kSealSamples || s.head.byte_size() >= head_cap_bytes_ ||
        uint64_t(t) - uint64_t(s.head.mint()) >= uint64_t(kMaxChunkSpanMs[0]))
        seal_raw(id, s);
    check_budget();
    return AppendStatus::stored;
}

TierState& Store::tier_state(Series& s) {
    if (!s.tiers) {
        s.tiers = std::make_unique<TierState>();
        series_bytes_ += sizeof(TierState);
        grew_ = true;
    }
    return *s.tiers;
}

void Store::feed_tiers(SeriesId id, Series& s, int64_t t, uint64_t bits) {
    TierState& ts = tier_state(s);
    const double v = std::bit_cast<double>(bits);
    for (size_t i = 0; i + 1 < kTierCount; ++i) {
        Accumulator& acc = ts.acc[i];
        const int64_t width = kTierBucketMs[i + 1];
        if (acc.open() && uint64_t(t) - uint64_t(acc.row.t) < uint64_t(width)) {  // the open bucket
            acc.add(acc.row.t, v);
            continue;
        }
        const int64_t b = bucket_of(t, width);
        // A bucket at or before the last closed row (closed early because
        // the series went quiet, or restored from disk) is not reopened.
        if (ts.closed(i, b)) {
            ++counters_.tier_late;
            continue;
        }
        if (acc.open() && b != acc.row.t) close_bucket(id, s, i);
        acc.add(b, v);
    }
}

void Store::close_bucket(SeriesId id, Series& s, size_t i) {
    Accumulator& acc = s.tiers->acc[i];
    if (acc.row.count == 0) return;
    const TierRow row = acc.row;
    acc.row.count = 0;
    append_row(id, s, i, row);
}

void Store::append_row(SeriesId id, Series& s, size_t i, const TierRow& row) {
    TierState& ts = *s.tiers;
    TierHead& head = ts.head[i];
    const size_t before = head.capacity_bytes();
    head.append(row.t, tier_row_bits(row));
    adjust(head_bytes_[i + 1], before, head.capacity_bytes());
    ++head_samples_[i + 1];
    ts.last_row[i] = row.t;
    ts.has_row[i] = true;
    if (head.count() >= kSealSamples || head.byte_size() >= head_cap_bytes_ ||
        uint64_t(head.maxt()) - uint64_t(head.mint()) >= uint64_t(kMaxChunkSpanMs[i + 1]))
        seal_tier(id, s, i);
}

// A row read back from disk is the whole bucket: it replaces a partial one
// rebuilt from raw samples replayed before it.
void Store::restore_row(SeriesId id, Tier tier, const TierRow& row) {
    const size_t i = size_t(tier) - 1;
    Series& s = slots_[id];
    TierState& ts = tier_state(s);
    if (ts.closed(i, row.t)) return;
    Accumulator& acc = ts.acc[i];
    if (acc.open() && acc.row.t < row.t) close_bucket(id, s, i);
    if (acc.open() && acc.row.t == row.t) acc.row.count = 0;
    append_row(id, s, i, row);
    s.flushed_t[size_t(tier)] = std::max(s.flushed_t[size_t(tier)], row.t);
    check_budget();
}

// --- sealing --------------------------------------------------------------------

void Store::store_chunk(SeriesId id, Series& s, size_t tier, std::string_view chunk, int64_t mint, int64_t maxt,
                        uint32_t samples) {
    const size_t before = s.chunks[tier].capacity_bytes();
    s.chunks[tier].push(pages_[tier].append(id, chunk, mint, maxt, samples));
    adjust(head_bytes_[tier], before, s.chunks[tier].capacity_bytes());
    grew_ = true;
    ++counters_.sealed_chunks[tier];
}

// A raw chunk in its page is the id of its times part and its values
// part; the next window follows the interval this chunk saw.
void Store::seal_raw(SeriesId id, Series& s) {
    if (s.head.empty()) return;
    if (!s.head.decode(scratch_t_, scratch_v_)) {
        ++counters_.corrupt_chunks;
    } else {
        scratch_samples_.resize(scratch_t_.size());
        for (size_t i = 0; i < scratch_t_.size(); ++i) scratch_samples_[i] = {scratch_t_[i], scratch_v_[i]};
        std::string& times = scratch_times_;
        times.clear();
        encode_times(scratch_samples_, times);
        scratch_chunk_.clear();
        put_varint(scratch_chunk_, times_.intern(times));
        encode_values(scratch_samples_, scratch_chunk_);
        store_chunk(id, s, 0, scratch_chunk_, s.head.mint(), s.head.maxt(), s.head.count());
        if (s.head.count() >= 2) {
            const uint64_t span = uint64_t(s.head.maxt()) - uint64_t(s.head.mint());
            s.window_log2 = window_log2_for(int64_t(std::min<uint64_t>(span / (s.head.count() - 1), INT64_MAX)));
        }
    }
    head_samples_[0] -= s.head.count();
    const size_t before = s.head.capacity_bytes();
    if (before > head_cap_bytes_) s.head.release();
    else s.head.clear();
    adjust(head_bytes_[0], before, s.head.capacity_bytes());
}

void Store::seal_tier(SeriesId id, Series& s, size_t i) {
    TierHead& head = s.tiers->head[i];
    if (head.empty()) return;
    if (!head.decode(scratch_t_, scratch_v_)) {
        ++counters_.corrupt_chunks;
    } else {
        scratch_rows_.resize(scratch_t_.size());
        for (size_t r = 0; r < scratch_t_.size(); ++r)
            scratch_rows_[r] = tier_row_from_bits(scratch_t_[r], &scratch_v_[r * kTierColumns]);
        std::string chunk;
        encode_tier_chunk(scratch_rows_, chunk);
        store_chunk(id, s, i + 1, chunk, head.mint(), head.maxt(), head.count());
    }
    head_samples_[i + 1] -= head.count();
    const size_t before = head.capacity_bytes();
    if (before > head_cap_bytes_) head.release();
    else head.clear();
    adjust(head_bytes_[i + 1], before, head.capacity_bytes());
}

void Store::seal_all() {
    for (SeriesId id = 0; id < slots_.size(); ++id) {
        Series& s = slots_[id];
        if (!s.live()) continue;
        seal_raw(id, s);
        if (s.tiers)
            for (size_t i = 0; i + 1 < kTierCount; ++i) seal_tier(id, s, i);
    }
    check_budget();
}

}  // namespace mmwatch::history
