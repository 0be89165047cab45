#include "history/flush.hpp"

#include <algorithm>

#include "history/chunk_codec.hpp"
#include "history/iterator.hpp"

namespace mmwatch::history {

namespace {

// A flush emits its records once their bodies reach this much: large
// enough for zstd to find the timestamps series share, a quarter of what a
// reader accepts.
constexpr size_t kFlushRecordBytes = kMaxRecordBytes / 4;

}  // namespace

// --- flushing ---------------------------------------------------------------------

void FlushBuilder::begin(const Store& store, uint64_t mono_ms) {
    began_ms_ = mono_ms;
    std::vector<SeriesId> all;
    store.all_series(all);
    ids_.clear();
    for (const SeriesId id : all) ids_.push_back({id, store.generation(id)});
    next_ = 0;
}

void FlushBuilder::new_segment() { ++segment_; }

size_t FlushBuilder::memory_bytes() const noexcept {
    size_t n = ids_.capacity() * sizeof(ids_[0]) + known_.capacity() * sizeof(Known) + series_body_.capacity() +
               raw_body_.capacity() + samples_.capacity() * sizeof(Sample) + rows_.capacity() * sizeof(TierRow);
    for (const std::string& b : tier_body_) n += b.capacity();
    return n;
}

uint64_t FlushBuilder::ref_of(const Store& store, SeriesId id) {
    if (known_.size() <= id) known_.resize(size_t(id) + 1);
    Known& k = known_[id];
    if (k.segment == segment_ && k.generation == store.generation(id)) return k.ref;
    k = {store.generation(id), segment_, next_ref_++};
    store.labels(id, labels_);
    put_series_entry(series_body_, k.ref, labels_);
    series_pending_ = true;
    return k.ref;
}

namespace {

// `items` as chunk entries of at most kMaxChunkSamples for `ref`, each
// encoded by `encode` (encode_chunk, encode_tier_chunk).
template <class T, class Encode>
void put_chunks(const std::vector<T>& items, Encode encode, std::string& scratch, std::string& body, uint64_t ref) {
    const std::span<const T> all(items);
    for (size_t at = 0; at < all.size(); at += kMaxChunkSamples) {
        scratch.clear();
        encode(all.subspan(at, std::min<size_t>(kMaxChunkSamples, all.size() - at)), scratch);
        put_chunk_entry(body, ref, scratch);
    }
}

int64_t after(int64_t flushed) noexcept { return flushed == kNeverMs ? kNeverMs : flushed + 1; }

}  // namespace

// The rows of each tier after flushed_t, then the raw samples after it.
size_t FlushBuilder::flush_series(Store& store, SeriesId id) {
    Series& s = store.at(id);
    size_t wrote = 0;
    for (size_t i = 0; i + 1 < kTierCount; ++i) {
        const size_t tier = i + 1;
        rows_.clear();
        for (TierIterator it = store.rows(id, Tier(tier), after(s.flushed_t[tier]), INT64_MAX); it.next();)
            rows_.push_back(it.row());
        if (rows_.empty()) continue;
        if (!tier_pending_[i]) start_tier_body(tier_body_[i], Tier(tier));
        tier_pending_[i] = true;
        put_chunks(rows_, encode_tier_chunk, chunk_, tier_body_[i], ref_of(store, id));
        s.flushed_t[tier] = rows_.back().t;
        counters_.rows += rows_.size();
        wrote += rows_.size();
    }
    samples_.clear();
    for (SampleIterator it = store.samples(id, after(s.flushed_t[0]), INT64_MAX); it.next();)
        samples_.push_back(it.sample());
    if (!samples_.empty()) {
        raw_pending_ = true;
        put_chunks(samples_, encode_chunk, chunk_, raw_body_, ref_of(store, id));
        s.flushed_t[0] = samples_.back().t;
        counters_.samples += samples_.size();
        wrote += samples_.size();
    }
    if (wrote) ++counters_.series;
    return wrote;
}

// Series first (they define the refs), then the tiers, then raw: on reload
// a bucket's stored row arrives before raw samples of later buckets
// (store.hpp, restore_row).
void FlushBuilder::emit(std::string& out) {
    const size_t before = out.size();
    if (series_pending_) append_record(out, RecordType::series, series_body_);
    for (size_t i = 0; i + 1 < kTierCount; ++i)
        if (tier_pending_[i]) append_record(out, RecordType::tier, tier_body_[i]);
    if (raw_pending_) append_record(out, RecordType::raw, raw_body_);
    counters_.record_bytes += out.size() - before;
    series_body_.clear();
    raw_body_.clear();
    for (std::string& b : tier_body_) b.clear();
    series_pending_ = raw_pending_ = false;
    for (bool& p : tier_pending_) p = false;
}

bool FlushBuilder::step(Store& store, size_t max_series, size_t max_samples, std::string& out, uint64_t mono_ms) {
    size_t written = 0;
    for (size_t n = 0; n < max_series && written < max_samples && next_ < ids_.size(); ++n, ++next_) {
        const auto [id, generation] = ids_[next_];
        if (!store.live(id) || store.generation(id) != generation) continue;
        written += flush_series(store, id);
        size_t pending = series_body_.size() + raw_body_.size();
        for (const std::string& b : tier_body_) pending += b.size();
        if (pending >= kFlushRecordBytes) emit(out);
    }
    if (next_ < ids_.size()) return false;
    emit(out);
    ++counters_.flushes;
    counters_.last_duration_ms = mono_ms - began_ms_;
    counters_.duration_ms += counters_.last_duration_ms;
    ids_.clear();
    next_ = 0;
    return true;
}

// --- loading ------------------------------------------------------------------------

void Loader::begin_segment() {
    refs_.clear();
    ++counters_.segments;
}

void Loader::end_segment(bool torn) {
    if (torn) ++counters_.torn;
    refs_.clear();
}

void Loader::apply(const Scan& scan) {
    std::string_view body;
    if (!record_body(scan, scratch_, body)) {
        ++counters_.bad_records;
        return;
    }
    ++counters_.records;
    switch (RecordType(scan.type & ~kCompressedFlag)) {
        case RecordType::series: apply_series(body); break;
        case RecordType::raw: apply_raw(body); break;
        case RecordType::tier: apply_tier(body); break;
        default: ++counters_.bad_records; break;  // a later version's record
    }
}

SeriesId Loader::resolve(uint64_t ref) {
    const auto it = refs_.find(ref);
    if (it == refs_.end()) {
        ++counters_.unknown_refs;
        return kNoSeries;
    }
    const auto [id, generation] = it->second;
    if (!store_.live(id) || store_.generation(id) != generation) return kNoSeries;  // evicted while loading
    return id;
}

void Loader::apply_series(std::string_view body) {
    EntryReader r(body);
    uint64_t ref;
    while (r.series(ref, labels_)) {
        if (canonicalize(labels_) != LabelError::none) {
            ++counters_.series_refused;
            continue;
        }
        const Store::Lookup found = store_.series(labels_);
        if (found.id == kNoSeries) {
            ++counters_.series_refused;
            continue;
        }
        refs_[ref] = {found.id, store_.generation(found.id)};
    }
    if (r.bad()) ++counters_.bad_records;
}

void Loader::apply_raw(std::string_view body) {
    EntryReader r(body);
    uint64_t ref;
    std::string_view chunk;
    const int64_t keep = store_.config().retention_ms[0];
    while (r.chunk(ref, chunk)) {
        const SeriesId id = resolve(ref);
        if (id == kNoSeries) continue;
        if (decode_chunk(chunk, samples_) != ChunkError::none) {
            ++counters_.bad_records;
            continue;
        }
        for (const Sample& x : samples_) {
            Series& s = store_.at(id);
            // Already held (written twice, or an older copy): not an
            // out-of-order sample of the user's, so not counted as one.
            if ((s.has_last && x.t <= s.last_t) || (keep > 0 && older_than(x.t, now_ms_, keep))) {
                ++counters_.samples_skipped;
                continue;
            }
            if (store_.append(id, x.t, x.bits) == AppendStatus::stored) ++counters_.samples;
            if (!store_.live(id)) break;  // evicted under the budget
            store_.at(id).flushed_t[0] = std::max(store_.at(id).flushed_t[0], x.t);
        }
    }
    if (r.bad()) ++counters_.bad_records;
}

void Loader::apply_tier(std::string_view body) {
    EntryReader r(body);
    Tier tier;
    if (!r.tier(tier)) {
        ++counters_.bad_records;
        return;
    }
    uint64_t ref;
    std::string_view chunk;
    while (r.chunk(ref, chunk)) {
        const SeriesId id = resolve(ref);
        if (id == kNoSeries) continue;
        if (!decode_tier_chunk(chunk, rows_, samples_)) {
            ++counters_.bad_records;
            continue;
        }
        for (const TierRow& row : rows_) {
            if (!store_.live(id)) break;
            // A row the store could not have written: not a bucket's start,
            // or a bucket with no sample.
            if (row.count == 0 || row.t != bucket_of(row.t, kTierBucketMs[size_t(tier)])) {
                ++counters_.bad_records;
                continue;
            }
            store_.restore_row(id, tier, row);
            ++counters_.rows;
        }
    }
    if (r.bad()) ++counters_.bad_records;
}

}  // namespace mmwatch::history
