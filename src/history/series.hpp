// What the store keeps per series. Internal to the store and its readers
// (iterators, the flush, the export); everyone else holds a SeriesId.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "history/head.hpp"
#include "history/labels.hpp"
#include "history/pages.hpp"
#include "history/tiers.hpp"

namespace mmwatch::history {

// A series' sealed chunks of one tier, oldest first; the front is popped
// when its page is evicted (an offset, compacted now and then, so a pop
// does not move the whole vector).
class ChunkList {
public:
    [[nodiscard]] std::span<const ChunkRef> live() const noexcept {
        return {refs_.data() + first_, refs_.size() - first_};
    }
    [[nodiscard]] bool empty() const noexcept { return first_ == refs_.size(); }
    [[nodiscard]] size_t capacity_bytes() const noexcept { return refs_.capacity() * sizeof(ChunkRef); }
    void push(const ChunkRef& r) { refs_.push_back(r); }
    void pop_front() {
        if (++first_ == refs_.size()) {
            refs_.clear();
            first_ = 0;
        } else if (first_ >= 16 && first_ * 2 >= refs_.size()) {
            refs_.erase(refs_.begin(), refs_.begin() + first_);
            first_ = 0;
        }
    }
    void release() {
        std::vector<ChunkRef>().swap(refs_);
        first_ = 0;
    }

private:
    std::vector<ChunkRef> refs_;
    uint32_t first_ = 0;
};

inline constexpr int64_t kNeverMs = std::numeric_limits<int64_t>::min();

struct Series {
    std::vector<Label> labels;  // sorted by name; empty: the slot is free
    uint32_t generation = 0;    // bumped each time the slot is reused
    uint32_t hash = 0;          // of the label set, for the lookup index
    bool has_last = false;
    // Kept for the store's feeder (daemon/history_keeper.hpp), in the
    // padding before last_t (no byte per series added): fed at its own
    // timestamps (OTLP points), and the number of the sample batch it was
    // last in (0: none), for staleness. Reset with the slot.
    bool own_times = false;
    uint32_t last_batch = 0;
    int64_t last_t = 0;         // the last sample appended, for out-of-order and duplicate checks
    uint64_t last_bits = 0;
    RawHead head;
    // The head is sealed when a sample falls outside the window (2^window_log2
    // ms, aligned to the epoch) its first sample fell in; set from the
    // series' interval (history_store.cpp, window_log2_for).
    uint8_t window_log2 = 16;
    ChunkList chunks[kTierCount];
    std::unique_ptr<TierState> tiers;
    // The latest timestamp of each tier already written to disk.
    int64_t flushed_t[kTierCount] = {kNeverMs, kNeverMs, kNeverMs};

    [[nodiscard]] bool live() const noexcept { return !labels.empty(); }
};

}  // namespace mmwatch::history
