// The index is linear probing over kSlots; a forgotten address's slot is
// emptied by shifting later slots of the same run back (no tombstones), so
// a table that churns for ever keeps its probes short.
#include "http/proven_addresses.hpp"

#include <algorithm>

namespace mmwatch::http {

ProvenAddresses::ProvenAddresses(size_t capacity) noexcept
    : capacity_(std::min(capacity, base::kMaxProvenAddresses)) {
    slots_.fill(kNone);
}

size_t ProvenAddresses::home(uint64_t address) noexcept {
    // Fibonacci hashing: neighbouring addresses land far apart.
    return size_t((address * 0x9E3779B97F4A7C15ULL) >> 32) & (kSlots - 1);
}

size_t ProvenAddresses::slot_of(uint64_t address) const noexcept {
    size_t s = home(address);
    while (slots_[s] != kNone && entries_[slots_[s]].address != address) s = (s + 1) & (kSlots - 1);
    return s;
}

ProvenAddresses::Index ProvenAddresses::find(uint64_t address) const noexcept {
    return slots_[slot_of(address)];
}

void ProvenAddresses::erase_slot(size_t slot) noexcept {
    size_t hole = slot;
    for (size_t s = (hole + 1) & (kSlots - 1); slots_[s] != kNone; s = (s + 1) & (kSlots - 1)) {
        // The entry at s may move back into the hole unless its home lies
        // cyclically after the hole and at or before s.
        const size_t h = home(entries_[slots_[s]].address);
        const bool stays = hole < s ? (hole < h && h <= s) : (hole < h || h <= s);
        if (stays) continue;
        slots_[hole] = slots_[s];
        hole = s;
    }
    slots_[hole] = kNone;
}

void ProvenAddresses::unlink(Index e) noexcept {
    Entry& x = entries_[e];
    if (x.newer != kNone) entries_[x.newer].older = x.older;
    else newest_ = x.older;
    if (x.older != kNone) entries_[x.older].newer = x.newer;
    else oldest_ = x.newer;
    x.newer = x.older = kNone;
}

void ProvenAddresses::push_newest(Index e) noexcept {
    entries_[e].older = newest_;
    entries_[e].newer = kNone;
    if (newest_ != kNone) entries_[newest_].newer = e;
    newest_ = e;
    if (oldest_ == kNone) oldest_ = e;
}

void ProvenAddresses::remember(uint64_t address) noexcept {
    if (capacity_ == 0) return;
    if (const Index e = find(address); e != kNone) {
        unlink(e);
        push_newest(e);
        return;
    }
    Index e = Index(size_);
    if (size_ == capacity_) {
        // Full: the least recent entry is forgotten and reused.
        e = oldest_;
        erase_slot(slot_of(entries_[e].address));
        unlink(e);
    } else {
        ++size_;
    }
    entries_[e].address = address;
    slots_[slot_of(address)] = e;
    push_newest(e);
}

}  // namespace mmwatch::http
