// The point pool of the OTLP store: fixed-size chunks of points drawn from
// slabs up to the pool's cap, then recycled oldest first (a ring), and the
// window eviction, a bounded number of series per tick.
#include "otlp/store.hpp"

#include <algorithm>

namespace mmwatch::otlp {

void Store::append(uint32_t series_id, int64_t t_ms, double v) {
    {
        const Series& s = series_[series_id];
        const bool need_chunk = s.tail_chunk == kNone || s.tail_len == kPointsPerChunk ||
                                t_ms - chunk(s.tail_chunk).base_ms > int64_t(UINT32_MAX);
        if (need_chunk) {
            const uint32_t c = alloc_chunk();  // may evict, even from this series
            Series& t = series_[series_id];
            chunk(c).base_ms = t_ms;
            chunk_next_[c] = kNone;
            chunk_series_[c] = series_id;
            if (t.tail_chunk == kNone) {
                t.head_chunk = c;
                t.head_off = 0;
            } else {
                chunk_next_[t.tail_chunk] = c;
            }
            t.tail_chunk = c;
            t.tail_len = 0;
        }
    }
    Series& s = series_[series_id];
    ChunkData& d = chunk(s.tail_chunk);
    d.dt_ms[s.tail_len] = uint32_t(t_ms - d.base_ms);
    d.value[s.tail_len] = v;
    ++s.tail_len;
    ++s.stored;
    ++stored_points_;
    s.last_ms = t_ms;
    s.last_value = v;
    s.has_value = true;
}

// Chunks come from the free list, then from new slabs up to the cap, then
// from the oldest live chunk: chunk_order_ holds allocations oldest first,
// and a series' chunks are allocated in order, so the oldest live chunk is
// always the head of its series.
uint32_t Store::alloc_chunk() {
    uint32_t c;
    if (!free_chunks_.empty()) {
        c = free_chunks_.back();
        free_chunks_.pop_back();
    } else if (chunk_series_.size() < max_chunks_) {
        c = uint32_t(chunk_series_.size());
        if (c % kChunksPerSlab == 0) slabs_.push_back(std::make_unique<ChunkData[]>(kChunksPerSlab));
        chunk_next_.push_back(kNone);
        chunk_series_.push_back(kNone);
        chunk_gen_.push_back(0);
    } else {
        for (;;) {
            const auto [oc, gen] = order_pop();
            if (chunk_gen_[oc] != gen || chunk_series_[oc] == kNone) continue;
            Series& owner = series_[chunk_series_[oc]];
            if (owner.head_chunk != oc) continue;
            counters_.evicted_capacity += drop_head(owner);
            break;
        }
        c = free_chunks_.back();
        free_chunks_.pop_back();
    }
    ++chunk_gen_[c];
    order_push(c, chunk_gen_[c]);
    return c;
}

bool Store::order_live(size_t i) const noexcept {
    const auto [c, gen] = order_[i % order_.size()];
    return chunk_gen_[c] == gen && chunk_series_[c] != kNone;
}

std::pair<uint32_t, uint32_t> Store::order_pop() noexcept {
    const auto e = order_[order_head_];
    order_head_ = (order_head_ + 1) % order_.size();
    --order_size_;
    return e;
}

// The allocation order is a ring that grows only while the pool does: when
// full it first drops the entries of freed chunks (at most max_chunks_ are
// live), so steady-state ingest never allocates here.
void Store::order_push(uint32_t c, uint32_t gen) {
    if (order_size_ == order_.size()) {
        std::vector<std::pair<uint32_t, uint32_t>> live;
        live.reserve(std::max<size_t>(64, order_.size()));
        for (size_t i = 0; i < order_size_; ++i)
            if (order_live(order_head_ + i)) live.push_back(order_[(order_head_ + i) % order_.size()]);
        if (live.size() * 2 > live.capacity()) live.reserve(live.capacity() * 2);
        order_size_ = live.size();
        live.resize(live.capacity());
        order_ = std::move(live);
        order_head_ = 0;
    }
    order_[(order_head_ + order_size_) % order_.size()] = {c, gen};
    ++order_size_;
}

size_t Store::drop_head(Series& s) {
    const uint32_t c = s.head_chunk;
    const size_t n = (c == s.tail_chunk ? s.tail_len : kPointsPerChunk) - s.head_off;
    s.stored -= uint32_t(n);
    stored_points_ -= n;
    if (c == s.tail_chunk) {
        s.head_chunk = s.tail_chunk = kNone;
        s.tail_len = 0;
    } else {
        s.head_chunk = chunk_next_[c];
    }
    s.head_off = 0;
    chunk_series_[c] = kNone;
    ++chunk_gen_[c];
    free_chunks_.push_back(c);
    return n;
}

size_t Store::trim_series(Series& s, int64_t cutoff_ms) {
    size_t removed = 0;
    while (s.head_chunk != kNone) {
        const ChunkData& d = chunk(s.head_chunk);
        const size_t end = s.head_chunk == s.tail_chunk ? s.tail_len : kPointsPerChunk;
        size_t i = s.head_off;
        while (i < end && d.base_ms + int64_t(d.dt_ms[i]) < cutoff_ms) ++i;
        if (i == end) {
            removed += drop_head(s);
            continue;
        }
        const size_t n = i - s.head_off;
        s.stored -= uint32_t(n);
        stored_points_ -= n;
        s.head_off = uint16_t(i);
        removed += n;
        break;
    }
    return removed;
}

void Store::tick(int64_t now_ns) {
    const int64_t cutoff_ms = now_ns / 1'000'000 - limits_.window_ms;
    for (size_t budget = std::min(base::kOtlpEvictSeriesPerTick, series_.size()); budget > 0; --budget) {
        if (evict_cursor_ >= series_.size()) evict_cursor_ = 0;
        counters_.evicted_window += trim_series(series_[evict_cursor_++], cutoff_ms);
    }
    // Entries of freed chunks at the front of the order are dead weight.
    while (order_size_ > 0 && !order_live(order_head_)) (void)order_pop();
}

size_t Store::chunk_bytes() const noexcept {
    const size_t bookkeeping =
        (chunk_next_.capacity() + chunk_series_.capacity() + chunk_gen_.capacity() + free_chunks_.capacity()) * 4 +
        order_.capacity() * 8;
    return slabs_.size() * kChunksPerSlab * sizeof(ChunkData) + bookkeeping;
}


}  // namespace mmwatch::otlp
