// One loop turn's time, shared by the sliced workers (docs/ARCHITECTURE.md,
// "One turn's budget"). Each long piece of work (the sampler's collection,
// the push, the history store's intake and flushes, queries, exports) runs
// in slices from its own idle callback, and libuv runs every active idle
// callback in every turn: alone each slice is short, but several of them
// in one turn, after a render, are not. So each worker asks before a slice;
// once the turn has been busy base::kTurnBudgetNs, the rest wait for the
// next turn, which comes at once (an active idle handle keeps poll from
// sleeping). None starves: a worker that waited is owed a slice, and the
// one owed longest runs in the next turn even when the budget is spent
// (one such a turn, so the longest turn is the budget and two slices).
// Counted per worker (slices run, turns waited): mmwatch_turn_slices_total
// and mmwatch_turn_deferred_total. No libuv here: the daemon hands in the
// loop's busy clock and starts each turn.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.hpp"

namespace mmwatch::base {

class TurnBudget {
public:
    using Worker = size_t;
    struct Counts {
        std::string name;
        uint64_t slices = 0;    // slices it was let run
        uint64_t deferred = 0;  // times it asked and waited for a later turn
    };

    // `busy_ns` reads the loop's busy time so far (monotonic: wall time
    // less what poll waited for events).
    explicit TurnBudget(std::function<uint64_t()> busy_ns, uint64_t budget_ns = kTurnBudgetNs)
        : busy_ns_(std::move(busy_ns)), budget_ns_(budget_ns) {}

    // A worker, named for its counters ("sample", "push", ...).
    Worker join(std::string_view name);
    // Before a slice of `w`: whether it runs it in this turn. A worker
    // told no asks again next turn (its idle handle stays on).
    [[nodiscard]] bool admit(Worker w);
    // The start of a turn (the daemon's prepare handle, right before poll:
    // what the I/O callbacks after poll take counts against the budget).
    void begin_turn() noexcept;

    [[nodiscard]] const std::vector<Counts>& counts() const noexcept { return counts_; }

private:
    struct State {
        uint64_t waiting_since = 0;  // turn it was first told no; 0: owed nothing
        uint64_t asked = 0;          // last turn it asked
    };
    [[nodiscard]] bool owed_longest(Worker w) const noexcept;

    std::function<uint64_t()> busy_ns_;
    uint64_t budget_ns_;
    uint64_t turn_ = 1;
    uint64_t turn_start_ns_ = 0;
    bool begun_ = false;     // a turn was begun: before, every worker runs
    bool owed_ran_ = false;  // this turn's one slice past the budget is taken
    std::vector<State> states_;
    std::vector<Counts> counts_;
};

// A worker's place in a TurnBudget. Before join() (a test, a tool without
// the daemon's loop) every slice runs.
class TurnShare {
public:
    void join(TurnBudget& budget, std::string_view name) {
        budget_ = &budget;
        worker_ = budget.join(name);
    }
    [[nodiscard]] bool admit() { return budget_ == nullptr || budget_->admit(worker_); }

private:
    TurnBudget* budget_ = nullptr;
    TurnBudget::Worker worker_ = 0;
};

}  // namespace mmwatch::base
