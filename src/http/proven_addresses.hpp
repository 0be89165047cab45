// The client addresses that recently completed a request (authenticated,
// where auth is on). At the connection cap, newcomers from addresses never
// seen are shed before newcomers from these: a Prometheus that opens a new
// connection for every scrape does so from its one address, which its
// earlier scrapes proved (docs/security.md, "Who is shed at the cap").
// Keys are http::client_address (an IPv4 address, or an IPv6 /64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>

#include "base/limits.hpp"

namespace mmwatch::http {

class ProvenAddresses {
public:
    explicit ProvenAddresses(size_t capacity = base::kMaxProvenAddresses) : capacity_(capacity) {}

    // `address` completed a request: it becomes the most recent; past the
    // capacity the least recent is forgotten.
    void remember(uint64_t address);
    [[nodiscard]] bool contains(uint64_t address) const noexcept { return where_.contains(address); }
    [[nodiscard]] size_t size() const noexcept { return where_.size(); }

private:
    size_t capacity_;
    std::list<uint64_t> order_;  // most recent first
    std::unordered_map<uint64_t, std::list<uint64_t>::iterator> where_;
};

}  // namespace mmwatch::http
