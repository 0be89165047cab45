// Stable storage for the decoders (JSON and protobuf): canonical forms of
// non-string attribute values, and bytes values as base64.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace mmwatch::otlp {

// Stable storage for canonical forms of non-string attribute values; blocks
// are kept across requests so steady-state decoding does not allocate.
class Arena {
public:
    void reset() noexcept {
        block_ = 0;
        used_ = 0;
        big_.clear();
    }
    [[nodiscard]] size_t capacity_bytes() const noexcept { return blocks_.size() * kBlockBytes; }
    std::string_view copy(std::string_view s) {
        if (s.empty()) return {};
        if (s.size() > kBlockBytes / 4) {
            big_.emplace_back(new char[s.size()]);
            std::memcpy(big_.back().get(), s.data(), s.size());
            return {big_.back().get(), s.size()};
        }
        if (block_ == blocks_.size() || used_ + s.size() > kBlockBytes) {
            if (block_ < blocks_.size()) ++block_;
            if (block_ == blocks_.size()) blocks_.emplace_back(new char[kBlockBytes]);
            used_ = 0;
        }
        char* dst = blocks_[block_].get() + used_;
        std::memcpy(dst, s.data(), s.size());
        used_ += s.size();
        return {dst, s.size()};
    }

private:
    static constexpr size_t kBlockBytes = 16 * 1024;
    std::vector<std::unique_ptr<char[]>> blocks_;
    std::vector<std::unique_ptr<char[]>> big_;
    size_t block_ = 0;
    size_t used_ = 0;
};

}  // namespace mmwatch::otlp
