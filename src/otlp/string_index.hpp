// An append-only map from byte strings to dense ids (0, 1, 2, ...), with
// the bytes copied into stable blocks: the interner of the OTLP store.
// Open addressing (id_index.hpp): one probe usually answers, and a lookup
// with a string_view never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "base/id_index.hpp"

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
    // The last 0-7 bytes in fixed-size loads (a memcpy of a variable
    // length is a call): overlapping the bytes already hashed, or for a
    // short string its first and last four, or three single bytes.
    uint64_t w = 0;
    if (n && s.size() >= 8) {
        std::memcpy(&w, p + n - 8, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + n - 4, 4);
        w = uint64_t(a) << 32 | b;
    } else if (n) {  // an empty view may have a null data()
        w = uint64_t(uint8_t(p[0])) << 16 | uint64_t(uint8_t(p[n / 2])) << 8 | uint8_t(p[n - 1]);
    }
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

class StringIndex {
public:
    // The id of `s`, added as the next id if new.
    uint32_t intern(std::string_view s);
    // The id of `s`, or UINT32_MAX when it was never interned; adds nothing.
    [[nodiscard]] uint32_t find(std::string_view s) const noexcept {
        return index_.find(hash_bytes(s), [&](uint32_t id) { return keys_[id] == s; });
    }
    // The same for a key that is not at hand as one string: `h` is the
    // caller's own hash of it and `same(stored)` compares; every key of
    // such an index must then be added by intern_hashed() with that hash.
    template <class Same>
    [[nodiscard]] uint32_t find_hashed(uint64_t h, Same&& same) const noexcept {
        return index_.find(h, [&](uint32_t id) { return same(keys_[id]); });
    }
    uint32_t intern_hashed(uint64_t h, std::string_view s);
    // What memory_bytes() would grow by, beyond the bytes themselves, if
    // `more` strings of `bytes` bytes in all were added: the slot table's
    // doubling, the views' vector and new blocks.
    [[nodiscard]] size_t growth_bytes(size_t more, size_t bytes) const noexcept {
        size_t b = 0;
        b += index_.growth_bytes(more);
        if (keys_.size() + more > keys_.capacity()) b += std::max(keys_.capacity(), more) * sizeof(std::string_view);
        if (block_used_ + bytes > kBlockBytes) b += (1 + bytes / kBlockBytes) * (kBlockBytes + 16);
        return b;
    }
    [[nodiscard]] std::string_view get(uint32_t id) const noexcept { return keys_[id]; }
    [[nodiscard]] size_t size() const noexcept { return keys_.size(); }
    // Bytes held: slots, views and copied strings.
    [[nodiscard]] size_t memory_bytes() const noexcept;

private:
    std::string_view store(std::string_view s);

    static constexpr size_t kBlockBytes = 64 * 1024;
    base::IdIndex index_;
    std::vector<std::string_view> keys_;
    std::vector<std::unique_ptr<char[]>> blocks_;  // small strings, back() is being filled
    std::vector<std::unique_ptr<char[]>> big_;
    size_t block_used_ = kBlockBytes;
    size_t bytes_ = 0;
};

}  // namespace mmwatch::otlp
