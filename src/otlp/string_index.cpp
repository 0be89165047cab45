#include "otlp/string_index.hpp"

namespace mmwatch::otlp {

uint32_t StringIndex::intern(std::string_view s) { return intern_hashed(hash_bytes(s), s); }

uint32_t StringIndex::intern_hashed(uint64_t h, std::string_view s) {
    if (const uint32_t id = index_.find(h, [&](uint32_t i) { return keys_[i] == s; }); id != base::IdIndex::kMissing)
        return id;
    const auto id = uint32_t(keys_.size());
    keys_.push_back(store(s));
    index_.insert(h, id);
    return id;
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
    return index_.memory_bytes() + keys_.capacity() * sizeof(std::string_view) + bytes_ +
           (blocks_.size() + big_.size()) * 16 + blocks_.size() * kBlockBytes;
}

}  // namespace mmwatch::otlp
