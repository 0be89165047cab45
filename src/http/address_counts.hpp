// How many newcomers each client address holds, estimated in a fixed
// table (a count-min sketch: two counters per address, the smaller read),
// made with the server and never grown: no allocation in a callback. At
// the newcomers' share, one whose address holds other newcomers is shed
// before one that is its address's only one, so a flood from a few
// addresses (even proven ones: 1,000 pullers behind one address) sheds
// itself, not the Prometheus that opens one connection per scrape.
// The two counters are in two rows of 512, so an address alone never
// looks crowded; one whose two counters are both also taken by others
// does, which only makes it shed a little sooner. Measured
// (tests/http/test_address_counts.cpp, addresses from a fixed
// pseudo-random sequence): a lone address looks crowded beside 63 other
// addresses' newcomers (the newcomers' share at the default cap) in about
// 1.3% of draws, beside 255 in about 16%; any two addresses share both
// counters with odds of about 2^-18.
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
    static constexpr size_t kSlots = 1024;  // 4 KiB, per listener (or per write turn)
    static constexpr size_t kRowSlots = kSlots / 2;
    // Row `which` of the table, by its own multiplicative hash.
    static size_t slot(uint64_t address, size_t which) noexcept {
        static constexpr uint64_t kMul[2] = {0x9E3779B97F4A7C15ULL, 0xC2B2AE3D27D4EB4FULL};
        return which * kRowSlots + (size_t((address * kMul[which]) >> 55) & (kRowSlots - 1));
    }
    std::array<uint32_t, kSlots> counts_{};
};

}  // namespace mmwatch::http
