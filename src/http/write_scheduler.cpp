// Rounds over one FIFO, oldest first: in round r a waiter is granted when
// its address has had fewer than r grants this turn; the others keep their
// places (so each address's connections go oldest first), and a waiter
// granted leaves the queue until its write completes. Each round grants at least one chunk of at least
// kWriteGrantFloorBytes, so a turn has at most budget / floor + 1 rounds,
// each looking at every waiter once: bounded work, however the waiters
// are spread over addresses.
#include "http/write_scheduler.hpp"

#include <algorithm>

#include "base/limits.hpp"
#include "http/address_counts.hpp"

namespace mmwatch::http {

void WriteScheduler::ready(Waiter& w, uint64_t address) noexcept {
    if (w.queued_) return;
    w.address_ = address;
    push_back(w);
}

void WriteScheduler::forget(Waiter& w) noexcept {
    if (!w.queued_) return;
    if (w.prev_) w.prev_->next_ = w.next_;
    else head_ = w.next_;
    if (w.next_) w.next_->prev_ = w.prev_;
    else tail_ = w.prev_;
    w.prev_ = w.next_ = nullptr;
    w.queued_ = false;
    --count_;
}

void WriteScheduler::push_back(Waiter& w) noexcept {
    w.prev_ = tail_;
    w.next_ = nullptr;
    if (tail_) tail_->next_ = &w;
    else head_ = &w;
    tail_ = &w;
    w.queued_ = true;
    ++count_;
}

bool WriteScheduler::run_turn(size_t budget_bytes) noexcept {
    ++counters_.turns;
    AddressCounts granted;  // this turn's grants per address
    size_t spent = 0;
    for (uint32_t round = 1; head_ && spent < budget_bytes; ++round) {
        bool any = false;
        Waiter* passed = nullptr;  // the last waiter this round passed over
        for (Waiter* w = head_; w && spent < budget_bytes;) {
            if (granted.count(w->address_) >= round) {
                passed = w;  // its address has had this round's grant: it keeps its place
                w = w->next_;
                continue;
            }
            granted.add(w->address_);
            any = true;
            forget(*w);
            const size_t bytes = w->write_granted();
            ++counters_.grants;
            counters_.bytes += bytes;
            spent += std::max(bytes, base::kWriteGrantFloorBytes);
            // On after the one passed over; from the front if the grant
            // closed that one (those before it are passed over again).
            if (passed && !passed->queued_) passed = nullptr;
            w = passed ? passed->next_ : head_;
        }
        if (!any) break;  // only when two addresses share counters: next turn
    }
    if (head_) ++counters_.budget_spent;
    return head_ != nullptr;
}

}  // namespace mmwatch::http
