// The client addresses that recently completed a request (authenticated,
// where auth is on). At the connection cap, newcomers from addresses never
// seen are shed before newcomers from these: a Prometheus that opens a new
// connection for every scrape does so from its one address, which its
// earlier scrapes proved (docs/security.md, "Who is shed at the cap").
// Keys are http::client_address (an IPv4 address, or an IPv6 /64).
//
// A fixed table inside the object: kMaxProvenAddresses entries in a
// least-recently-used list and an open-addressed index twice that size,
// so nothing is allocated after construction and remember() cannot fail
// inside a connection's callback. Its size is bytes(), counted in the
// listener's fixed memory (docs/operations.md, "Limits").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/limits.hpp"

namespace mmwatch::http {

class ProvenAddresses {
public:
    // `capacity` at most kMaxProvenAddresses (a smaller one for tests).
    explicit ProvenAddresses(size_t capacity = base::kMaxProvenAddresses) noexcept;

    // `address` completed a request: it becomes the most recent; past the
    // capacity the least recent is forgotten.
    void remember(uint64_t address) noexcept;
    [[nodiscard]] bool contains(uint64_t address) const noexcept { return find(address) != kNone; }
    [[nodiscard]] size_t size() const noexcept { return size_; }
    // What the table takes, whatever it holds.
    [[nodiscard]] static constexpr size_t bytes() noexcept { return sizeof(ProvenAddresses); }

private:
    using Index = uint16_t;
    static constexpr Index kNone = UINT16_MAX;
    static_assert(base::kMaxProvenAddresses < kNone, "entry indices are 16-bit");
    // A power of two at least twice the entries: probes stay short.
    static constexpr size_t kSlots = [] {
        size_t n = 1;
        while (n < 2 * base::kMaxProvenAddresses) n *= 2;
        return n;
    }();

    struct Entry {
        uint64_t address = 0;
        Index newer = kNone;  // towards the most recent
        Index older = kNone;  // towards the least recent
    };

    [[nodiscard]] static size_t home(uint64_t address) noexcept;
    // The entry holding `address`, or kNone.
    [[nodiscard]] Index find(uint64_t address) const noexcept;
    // The slot pointing at `address`'s entry, or the empty slot where it goes.
    [[nodiscard]] size_t slot_of(uint64_t address) const noexcept;
    void erase_slot(size_t slot) noexcept;
    void unlink(Index e) noexcept;
    void push_newest(Index e) noexcept;

    size_t capacity_;
    size_t size_ = 0;
    Index newest_ = kNone;
    Index oldest_ = kNone;
    std::array<Entry, base::kMaxProvenAddresses> entries_{};
    std::array<Index, kSlots> slots_{};  // an entry's index, or kNone
};

}  // namespace mmwatch::http
