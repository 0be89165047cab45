#include "otlp/string_index.hpp"

namespace mmwatch::otlp {

uint32_t StringIndex::intern(std::string_view s) {
    if (slots_.empty()) slots_.resize(1024);
    const uint64_t h = hash_bytes(s);
    const size_t mask = slots_.size() - 1;
    for (size_t i = size_t(h) & mask;; i = (i + 1) & mask) {
        Slot& slot = slots_[i];
        if (slot.id == UINT32_MAX) {
            const auto id = uint32_t(keys_.size());
            keys_.push_back(store(s));
            slot = {h, id};
            if (keys_.size() * 2 > slots_.size()) grow();
            return id;
        }
        if (slot.hash == h && keys_[slot.id] == s) return slot.id;
    }
}

uint32_t StringIndex::find(std::string_view s) const noexcept {
    if (slots_.empty()) return UINT32_MAX;
    const uint64_t h = hash_bytes(s);
    const size_t mask = slots_.size() - 1;
    for (size_t i = size_t(h) & mask;; i = (i + 1) & mask) {
        const Slot& slot = slots_[i];
        if (slot.id == UINT32_MAX) return UINT32_MAX;
        if (slot.hash == h && keys_[slot.id] == s) return slot.id;
    }
}

void StringIndex::grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(old.size() * 2);
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
        if (s.id == UINT32_MAX) continue;
        size_t i = size_t(s.hash) & mask;
        while (slots_[i].id != UINT32_MAX) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

std::string_view StringIndex::store(std::string_view s) {
    bytes_ += s.size();
    if (s.empty()) return {};
    if (s.size() > kBlockBytes / 8) {  // a big string gets a block of its own
        big_.emplace_back(new char[s.size()]);
        std::memcpy(big_.back().get(), s.data(), s.size());
        return {big_.back().get(), s.size()};
    }
    if (block_used_ + s.size() > kBlockBytes) {
        blocks_.emplace_back(new char[kBlockBytes]);
        block_used_ = 0;
    }
    char* dst = blocks_.back().get() + block_used_;
    std::memcpy(dst, s.data(), s.size());
    block_used_ += s.size();
    return {dst, s.size()};
}

size_t StringIndex::memory_bytes() const noexcept {
    return slots_.capacity() * sizeof(Slot) + keys_.capacity() * sizeof(std::string_view) + bytes_ +
           (blocks_.size() + big_.size()) * 16 + blocks_.size() * kBlockBytes;
}

}  // namespace mmwatch::otlp
