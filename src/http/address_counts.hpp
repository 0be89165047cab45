// How many newcomers each client address holds, estimated in a fixed
// table (a count-min sketch: two counters per address, the smaller read),
// made with the server and never grown: no allocation in a callback. At
// the newcomers' share, one whose address holds other newcomers is shed
// before one that is its address's only one, so a flood from a few
// addresses (even proven ones: 1,000 pullers behind one address) sheds
// itself, not the Prometheus that opens one connection per scrape.
// Two addresses may share both counters (about one pair in 2^20): they
// then look crowded together, which only makes them shed a little sooner.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace mmwatch::http {

class AddressCounts {
public:
    void add(uint64_t address) noexcept {
        for (size_t i = 0; i < 2; ++i) ++counts_[slot(address, i)];
    }
    void remove(uint64_t address) noexcept {
        for (size_t i = 0; i < 2; ++i) {
            uint32_t& c = counts_[slot(address, i)];
            if (c > 0) --c;
        }
    }
    // At least the newcomers `address` holds (more only on a collision).
    [[nodiscard]] uint32_t count(uint64_t address) const noexcept {
        const uint32_t a = counts_[slot(address, 0)];
        const uint32_t b = counts_[slot(address, 1)];
        return a < b ? a : b;
    }

private:
    static constexpr size_t kSlots = 1024;  // 4 KiB, per listener
    static size_t slot(uint64_t address, size_t which) noexcept {
        static constexpr uint64_t kMul[2] = {0x9E3779B97F4A7C15ULL, 0xC2B2AE3D27D4EB4FULL};
        return size_t(((address + which) * kMul[which]) >> 54) & (kSlots - 1);
    }
    std::array<uint32_t, kSlots> counts_{};
};

}  // namespace mmwatch::http
