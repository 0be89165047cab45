#include "history/symbols.hpp"

namespace mmwatch::history {

namespace {
// Garbage below this is never worth a compaction.
constexpr size_t kMinCompactBytes = 64 * 1024;
}  // namespace

uint64_t SymbolTable::hash(std::string_view s) noexcept {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, then mixed so every bit reaches the tag
    for (const char c : s) h = (h ^ uint8_t(c)) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

uint32_t SymbolTable::find(std::string_view s) const noexcept {
    return index_.find(hash(s), [&](uint32_t id) { return str(id) == s; });
}

uint32_t SymbolTable::intern(std::string_view s) {
    const uint64_t h = hash(s);
    uint32_t id = index_.find(h, [&](uint32_t i) { return str(i) == s; });
    if (id != kNone) {
        ++entries_[id].refs;
        return id;
    }
    if (!free_.empty()) {
        id = free_.back();
        free_.pop_back();
    } else {
        id = uint32_t(entries_.size());
        entries_.emplace_back();
    }
    entries_[id] = Entry{uint32_t(arena_.size()), uint32_t(s.size()), 1, uint32_t(h)};
    arena_.append(s);
    index_.insert(h, id);
    ++live_;
    return id;
}

void SymbolTable::release(uint32_t id) {
    Entry& e = entries_[id];
    if (--e.refs > 0) return;
    index_.erase(e.hash, id);
    garbage_bytes_ += e.length;
    e.length = 0;
    free_.push_back(id);
    --live_;
    if (garbage_bytes_ >= kMinCompactBytes && garbage_bytes_ * 2 > arena_.size()) compact();
}

void SymbolTable::compact() {
    std::string fresh;
    fresh.reserve(arena_.size() - garbage_bytes_);
    for (Entry& e : entries_) {
        if (e.refs == 0) continue;
        const uint32_t at = uint32_t(fresh.size());
        fresh.append(arena_, e.offset, e.length);
        e.offset = at;
    }
    arena_.swap(fresh);
    garbage_bytes_ = 0;
}

size_t SymbolTable::memory_bytes() const noexcept {
    return arena_.capacity() + entries_.capacity() * sizeof(Entry) + free_.capacity() * sizeof(uint32_t) +
           index_.memory_bytes();
}

}  // namespace mmwatch::history
