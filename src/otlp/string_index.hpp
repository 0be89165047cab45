// An append-only map from byte strings to dense ids (0, 1, 2, ...), with
// the bytes copied into stable blocks: the interner of the OTLP store.
// Open addressing with the hash kept per slot: one probe usually answers,
// and a lookup with a string_view never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace mmwatch::otlp {

// A fast hash for short strings: 8 bytes per multiply.
[[nodiscard]] inline uint64_t hash_bytes(std::string_view s) noexcept {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ s.size();
    const char* p = s.data();
    size_t n = s.size();
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    if (n) std::memcpy(&w, p, n);  // an empty view may have a null data()
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

class StringIndex {
public:
    // The id of `s`, added as the next id if new.
    uint32_t intern(std::string_view s);
    // The id of `s`, or UINT32_MAX when it was never interned; adds nothing.
    [[nodiscard]] uint32_t find(std::string_view s) const noexcept;
    // What memory_bytes() would grow by, beyond the bytes themselves, if
    // `more` strings of `bytes` bytes in all were added: the slot table's
    // doubling, the views' vector and new blocks.
    [[nodiscard]] size_t growth_bytes(size_t more, size_t bytes) const noexcept {
        size_t b = 0;
        if ((keys_.size() + more) * 2 > slots_.size()) b += std::max<size_t>(slots_.size(), 1024) * sizeof(Slot) * 2;
        if (keys_.size() + more > keys_.capacity()) b += std::max(keys_.capacity(), more) * sizeof(std::string_view);
        if (block_used_ + bytes > kBlockBytes) b += (1 + bytes / kBlockBytes) * (kBlockBytes + 16);
        return b;
    }
    [[nodiscard]] std::string_view get(uint32_t id) const noexcept { return keys_[id]; }
    [[nodiscard]] size_t size() const noexcept { return keys_.size(); }
    // Bytes held: slots, views and copied strings.
    [[nodiscard]] size_t memory_bytes() const noexcept;

private:
    struct Slot {
        uint64_t hash = 0;
        uint32_t id = UINT32_MAX;  // empty
    };
    void grow();
    std::string_view store(std::string_view s);

    static constexpr size_t kBlockBytes = 64 * 1024;
    std::vector<Slot> slots_;  // power of two, at most half full
    std::vector<std::string_view> keys_;
    std::vector<std::unique_ptr<char[]>> blocks_;  // small strings, back() is being filled
    std::vector<std::unique_ptr<char[]>> big_;
    size_t block_used_ = kBlockBytes;
    size_t bytes_ = 0;
};

}  // namespace mmwatch::otlp
