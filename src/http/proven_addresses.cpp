#include "http/proven_addresses.hpp"

namespace mmwatch::http {

void ProvenAddresses::remember(uint64_t address) {
    if (capacity_ == 0) return;
    if (const auto it = where_.find(address); it != where_.end()) {
        order_.splice(order_.begin(), order_, it->second);
        return;
    }
    if (where_.size() == capacity_) {
        where_.erase(order_.back());
        order_.pop_back();
    }
    order_.push_front(address);
    where_.emplace(address, order_.begin());
}

}  // namespace mmwatch::http
