#include "base/turn_budget.hpp"

namespace mmwatch::base {

TurnBudget::Worker TurnBudget::join(std::string_view name) {
    states_.push_back({});
    counts_.push_back({std::string(name)});
    return states_.size() - 1;
}

// Under the budget every worker runs. Past it only the one owed longest
// (first told no; among those told no in the same turn, the first to
// join), once a turn; the others are told no and owed from now.
bool TurnBudget::admit(Worker w) {
    State& s = states_[w];
    s.asked = turn_;
    bool run = !begun_ || busy_ns_() - turn_start_ns_ < budget_ns_;
    if (!run && !owed_ran_ && s.waiting_since != 0 && owed_longest(w)) run = owed_ran_ = true;
    if (run) {
        s.waiting_since = 0;
        ++counts_[w].slices;
        return true;
    }
    if (s.waiting_since == 0) s.waiting_since = turn_;
    ++counts_[w].deferred;
    return false;
}

bool TurnBudget::owed_longest(Worker w) const noexcept {
    const State& me = states_[w];
    for (Worker o = 0; o < states_.size(); ++o) {
        const State& s = states_[o];
        if (o == w || s.waiting_since == 0) continue;
        if (s.waiting_since < me.waiting_since || (s.waiting_since == me.waiting_since && o < w)) return false;
    }
    return true;
}

// A worker that did not ask in the turn just ended has stopped (its work
// is done): it is owed nothing, so it holds no one else back.
void TurnBudget::begin_turn() noexcept {
    for (State& s : states_)
        if (s.asked != turn_) s.waiting_since = 0;
    ++turn_;
    begun_ = true;
    turn_start_ns_ = busy_ns_();
    owed_ran_ = false;
}

}  // namespace mmwatch::base
