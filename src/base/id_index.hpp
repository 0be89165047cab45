// An open-addressing index of dense ids whose keys live elsewhere, in the
// owner's own vector: a slot is the key's 32-bit hash and its id, 8 bytes
// with no node, and a lookup usually takes one probe. The owner says how
// to compare, so a key need not be at hand as one string (the store's
// series keys, attribute lists as sent). An id can be erased again
// (backward-shift deletion, no tombstones): the history store forgets the
// strings and series whose data has all gone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mmwatch::base {

class IdIndex {
public:
    static constexpr uint32_t kMissing = UINT32_MAX;

    // The id whose key `same(id)` says equals the one hashed to `h`.
    template <class Same>
    [[nodiscard]] uint32_t find(uint64_t h, Same&& same) const noexcept {
        if (slots_.empty()) return kMissing;
        const uint32_t tag = uint32_t(h);
        const size_t mask = slots_.size() - 1;
        for (size_t i = tag & mask;; i = (i + 1) & mask) {
            const Slot& s = slots_[i];
            if (s.id == kMissing) return kMissing;
            if (s.tag == tag && same(s.id)) return s.id;
        }
    }
    // Adds `id` (not yet present) under `h`.
    void insert(uint64_t h, uint32_t id) {
        if (slots_.empty()) slots_.resize(kMinSlots);
        place(slots_, {uint32_t(h), id});
        if (++size_ * 2 > slots_.size()) grow();
    }
    // Removes `id`, present under `h`: every later slot of its run that may
    // move into the hole does, so no lookup ever needs a tombstone.
    void erase(uint64_t h, uint32_t id) noexcept {
        if (slots_.empty()) return;
        const size_t mask = slots_.size() - 1;
        size_t i = uint32_t(h) & mask;
        while (slots_[i].id != id) {
            if (slots_[i].id == kMissing) return;
            i = (i + 1) & mask;
        }
        for (size_t j = (i + 1) & mask; slots_[j].id != kMissing; j = (j + 1) & mask) {
            const size_t home = slots_[j].tag & mask;
            const bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
            if (movable) {
                slots_[i] = slots_[j];
                i = j;
            }
        }
        slots_[i] = Slot{};
        --size_;
    }
    // Room for `ids` in all without growing (each growth places every id
    // again).
    void reserve(size_t ids) {
        size_t slots = kMinSlots;
        while (slots < 2 * ids + 2) slots *= 2;
        if (slots <= slots_.size()) return;
        std::vector<Slot> bigger(slots);
        for (const Slot& s : slots_)
            if (s.id != kMissing) place(bigger, s);
        slots_.swap(bigger);
    }
    [[nodiscard]] size_t size() const noexcept { return size_; }
    [[nodiscard]] size_t memory_bytes() const noexcept { return slots_.capacity() * sizeof(Slot); }
    // What memory_bytes() grows by if `more` ids are added.
    [[nodiscard]] size_t growth_bytes(size_t more) const noexcept {
        if ((size_ + more) * 2 <= slots_.size()) return 0;
        return (slots_.empty() ? kMinSlots : slots_.size()) * sizeof(Slot) * 2;
    }

private:
    struct Slot {
        uint32_t tag = 0;
        uint32_t id = kMissing;
    };
    static constexpr size_t kMinSlots = 1024;  // a power of two; kept at most half full

    static void place(std::vector<Slot>& slots, Slot s) noexcept {
        const size_t mask = slots.size() - 1;
        size_t i = s.tag & mask;
        while (slots[i].id != kMissing) i = (i + 1) & mask;
        slots[i] = s;
    }
    // The tag is the slot's hash, so the table regrows without the keys.
    void grow() { reserve(size_); }

    std::vector<Slot> slots_;
    size_t size_ = 0;
};

}  // namespace mmwatch::base
