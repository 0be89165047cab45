#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "base/turn_budget.hpp"

using namespace mmwatch;

namespace {

// A loop's busy clock the test moves by hand; each worker's slice takes
// `slice_ns` of it when it runs.
struct Rig {
    uint64_t busy = 0;
    base::TurnBudget budget{[this] { return busy; }, 3'000'000};

    // One turn: each worker in `order` asks, and runs its slice if let.
    std::vector<bool> turn(const std::vector<base::TurnBudget::Worker>& order, uint64_t slice_ns) {
        budget.begin_turn();
        std::vector<bool> ran(order.size());
        for (size_t i = 0; i < order.size(); ++i) {
            ran[i] = budget.admit(order[i]);
            if (ran[i]) busy += slice_ns;
        }
        return ran;
    }
};

}  // namespace

TEST_CASE("under_the_budget_every_worker_runs_its_slice_in_the_turn") {
    Rig r;
    const auto a = r.budget.join("a"), b = r.budget.join("b"), c = r.budget.join("c");
    CHECK(r.turn({a, b, c}, 900'000) == std::vector<bool>{true, true, true});
    CHECK(r.budget.counts()[b].slices == 1);
    CHECK(r.budget.counts()[b].deferred == 0);
    CHECK(r.budget.counts()[a].name == "a");
}

TEST_CASE("past_the_budget_the_rest_wait_and_the_one_owed_longest_runs_next_turn_first_past_it") {
    Rig r;
    const auto a = r.budget.join("a"), b = r.budget.join("b"), c = r.budget.join("c");
    // 2 ms slices: a and b fill the 3 ms, c waits.
    CHECK(r.turn({a, b, c}, 2'000'000) == std::vector<bool>{true, true, false});
    // Next turn, same order: a and b spend it again, but c is owed one
    // and runs past the budget; the one slice past it is c's alone.
    CHECK(r.turn({a, b, c}, 2'000'000) == std::vector<bool>{true, true, true});
    CHECK(r.budget.counts()[c].deferred == 1);
    CHECK(r.budget.counts()[c].slices == 1);
}

// Slices as long as the budget: one worker a turn fills it. Round robin:
// none waits more than a turn or two, however they are ordered.
TEST_CASE("workers_whose_slices_fill_the_budget_take_turns_and_none_starves") {
    Rig r;
    const auto a = r.budget.join("a"), b = r.budget.join("b"), c = r.budget.join("c");
    std::vector<int> runs(3), waited(3), longest_wait(3);
    for (int t = 0; t < 30; ++t) {
        const std::vector<bool> ran = r.turn({a, b, c}, 3'000'000);
        int in_turn = 0;
        for (size_t w = 0; w < 3; ++w) {
            in_turn += ran[w];
            runs[w] += ran[w];
            waited[w] = ran[w] ? 0 : waited[w] + 1;
            longest_wait[w] = std::max(longest_wait[w], waited[w]);
        }
        CHECK(in_turn <= 2);  // the budget's and at most one owed
    }
    for (size_t w = 0; w < 3; ++w) {
        CHECK(runs[w] >= 10);
        CHECK(longest_wait[w] <= 2);
    }
    CHECK(r.budget.counts()[c].slices == uint64_t(runs[2]));
}

// A worker that was told no and then stopped asking (its work ended) holds
// no one back: past the budget the next one owed runs.
TEST_CASE("a_worker_that_stops_asking_is_owed_nothing") {
    Rig r;
    const auto a = r.budget.join("a"), b = r.budget.join("b"), c = r.budget.join("c");
    CHECK(r.turn({a, b, c}, 3'000'000) == std::vector<bool>{true, false, false});
    // b and c are owed; b (first told no, first to join) runs past the budget.
    CHECK(r.turn({a, b, c}, 3'000'000) == std::vector<bool>{true, true, false});
    // c stops asking: in the first turn without it, it is still owed the
    // longest (b waits); from the next, it is owed nothing and b runs.
    CHECK(r.turn({a, b}, 3'000'000) == std::vector<bool>{true, false});
    CHECK(r.turn({a, b}, 3'000'000) == std::vector<bool>{true, true});
    // c comes back: it waits its turn like a newcomer.
    CHECK(r.turn({c, a, b}, 3'000'000) == std::vector<bool>{true, false, false});
}

TEST_CASE("before_any_turn_is_begun_every_worker_runs") {
    uint64_t busy = 1'000'000'000;
    base::TurnBudget budget([&] { return busy; }, 1);
    const auto a = budget.join("a");
    CHECK(budget.admit(a));
    CHECK(budget.admit(a));
}
