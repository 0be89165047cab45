// Rounds over one FIFO: in round r a waiter is granted when its address
// has had fewer than r grants this turn; the others of its address go to
// the back in their order, and a waiter granted leaves the queue until its
// write completes. Each round grants at least one chunk of at least
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

WriteScheduler::Waiter* WriteScheduler::pop_front() noexcept {
    Waiter* w = head_;
    if (w) forget(*w);
    return w;
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
        // Each waiter queued when the round began is looked at once.
        for (size_t left = count_; left > 0 && head_ && spent < budget_bytes; --left) {
            Waiter* w = pop_front();
            if (granted.count(w->address_) >= round) {
                push_back(*w);  // its address has had this round's grant
                continue;
            }
            granted.add(w->address_);
            any = true;
            const size_t bytes = w->write_granted();  // may close it: it is out of the queue
            ++counters_.grants;
            counters_.bytes += bytes;
            spent += std::max(bytes, base::kWriteGrantFloorBytes);
        }
        if (!any) break;  // only when two addresses share counters: next turn
    }
    if (head_) ++counters_.budget_spent;
    return head_ != nullptr;
}

}  // namespace mmwatch::http
