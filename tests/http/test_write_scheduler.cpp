// The loop's output shared by client address, counted in grants and bytes
// (never in time): a crowd from one address cannot hold back a lone client
// from another, addresses share a turn round by round, a turn stops at its
// budget, and a waiter that closes is never granted.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "base/limits.hpp"
#include "http/write_scheduler.hpp"

using mmwatch::http::WriteScheduler;
namespace base = mmwatch::base;

namespace {

constexpr uint64_t kScraper = 0x7f000001;  // 127.0.0.1
constexpr uint64_t kPullers = 0x7f000002;  // 127.0.0.2

// A connection sending a body one chunk a grant. Its write "completes"
// when the test says so (complete()), and then it asks again, as a
// connection does from on_written.
struct Body final : WriteScheduler::Waiter {
    WriteScheduler* scheduler;
    uint64_t address;
    size_t left;
    size_t chunk;
    size_t grants = 0;
    size_t last_turn = 0;  // the turn of its latest grant
    bool in_flight = false;
    size_t* turn;

    Body(WriteScheduler& s, uint64_t a, size_t bytes, size_t* t, size_t c = base::kWriteChunkBytes)
        : scheduler(&s), address(a), left(bytes), chunk(c), turn(t) {}
    size_t write_granted() noexcept override {
        const size_t n = std::min(left, chunk);
        left -= n;
        ++grants;
        last_turn = *turn;
        in_flight = true;
        return n;
    }
    void complete() {
        if (!in_flight) return;
        in_flight = false;
        if (left > 0) scheduler->ready(*this, address);
    }
};

struct Turns {
    WriteScheduler s;
    size_t turn = 0;
    std::vector<std::unique_ptr<Body>> bodies;

    Body& add(uint64_t address, size_t bytes, size_t chunk = base::kWriteChunkBytes) {
        bodies.push_back(std::make_unique<Body>(s, address, bytes, &turn, chunk));
        s.ready(*bodies.back(), address);
        return *bodies.back();
    }
    // One loop turn: the grants, then every write of it completes (the
    // kernel took it) and asks for the next.
    bool run() {
        ++turn;
        const bool left = s.run_turn(base::kWriteTurnBytes);
        for (auto& b : bodies) b->complete();
        return left;
    }
};

}  // namespace

TEST_CASE("a_lone_client_gets_a_chunk_every_turn_beside_a_crowd_from_another_address") {
    // 1,000 pullers of a 1 MiB body behind one address, then a scraper of
    // the same body from another: the scraper's four chunks go in its
    // first four turns, whatever the crowd ahead of it in the queue.
    Turns t;
    for (int i = 0; i < 1000; ++i) t.add(kPullers, 1 << 20);
    Body& scraper = t.add(kScraper, 1 << 20);
    for (int i = 0; i < 4; ++i) t.run();
    CHECK(scraper.left == 0);
    CHECK(scraper.grants == 4);
    CHECK(scraper.last_turn == 4);
    // Each turn spent its budget: the scraper's chunk and the pullers'.
    size_t puller_grants = 0;
    for (auto& b : t.bodies) puller_grants += b.get() != &scraper ? b->grants : 0;
    CHECK(puller_grants == 4 * (base::kWriteTurnBytes / base::kWriteChunkBytes - 1));
    CHECK(t.s.counters().budget_spent == 4);
}

TEST_CASE("two_crowds_from_two_addresses_share_every_turn_equally") {
    // 10 connections from one address, 100 from another, all always ready:
    // one grant each a round, so the two addresses get equal shares.
    Turns t;
    for (int i = 0; i < 10; ++i) t.add(kScraper, size_t(1) << 30);
    for (int i = 0; i < 100; ++i) t.add(kPullers, size_t(1) << 30);
    for (int i = 0; i < 50; ++i) t.run();
    size_t few = 0, many = 0;
    for (auto& b : t.bodies) (b->address == kScraper ? few : many) += b->grants;
    static_assert(base::kWriteTurnBytes % (2 * base::kWriteChunkBytes) == 0, "whole rounds a turn");
    const size_t per_turn = base::kWriteTurnBytes / base::kWriteChunkBytes / 2;
    CHECK(few == 50 * per_turn);
    CHECK(many == 50 * per_turn);
    // Within an address its connections take turns: each of the ten got
    // a tenth, give or take the one its place in the queue moves by when
    // writes complete in another order than they were granted.
    for (auto& b : t.bodies) {
        if (b->address == kScraper) CHECK((b->grants + 1 >= few / 10 && b->grants <= few / 10 + 1));
    }
}

TEST_CASE("a_turn_stops_at_its_budget_and_the_rest_go_first_next_turn") {
    // Small answers cost the floor each: 32 a turn, then the others.
    constexpr size_t kSmallPerTurn = base::kWriteTurnBytes / base::kWriteGrantFloorBytes;
    constexpr size_t kAnswers = kSmallPerTurn * 3 / 2;  // two turns' worth
    Turns t;
    for (size_t i = 0; i < kAnswers; ++i) t.add(uint64_t(i), 100);
    CHECK(t.run());
    CHECK(t.s.counters().grants == kSmallPerTurn);
    CHECK(t.s.waiting() == kAnswers - kSmallPerTurn);
    CHECK_FALSE(t.run());
    CHECK(t.s.counters().grants == kAnswers);
    CHECK(t.s.counters().bytes == kAnswers * 100);
    for (auto& b : t.bodies) CHECK(b->grants == 1);
    // The budget is in bytes: 256 KiB chunks, as many as it holds.
    Turns big;
    for (int i = 0; i < 10; ++i) big.add(uint64_t(i), 1 << 20);
    big.run();
    CHECK(big.s.counters().grants == base::kWriteTurnBytes / base::kWriteChunkBytes);
    CHECK(big.s.counters().bytes == base::kWriteTurnBytes);
}

TEST_CASE("a_connection_that_closes_is_never_granted_and_asking_twice_is_once") {
    Turns t;
    Body& a = t.add(kScraper, 1000);
    Body& b = t.add(kPullers, 1000);
    t.s.ready(a, kScraper);  // again: still once in the queue
    CHECK(t.s.waiting() == 2);
    t.s.forget(b);
    t.s.forget(b);  // twice is safe
    CHECK(t.s.waiting() == 1);
    CHECK_FALSE(t.run());
    CHECK(a.grants == 1);
    CHECK(b.grants == 0);
}

TEST_CASE("a_grant_that_closes_another_waiter_leaves_the_queue_whole") {
    // A write that fails and closes a neighbour (as a budget cut may) in
    // the middle of a round: the turn goes on over the rest.
    struct Closer final : WriteScheduler::Waiter {
        WriteScheduler* s;
        WriteScheduler::Waiter* victim;
        size_t grants = 0;
        size_t write_granted() noexcept override {
            ++grants;
            s->forget(*victim);
            return 10;
        }
    };
    Turns t;
    Body& victim = t.add(kPullers, 1000);
    Closer c;
    c.s = &t.s;
    c.victim = &victim;
    // The closer first in the queue, the victim behind it, one more after.
    t.s.forget(victim);
    t.s.ready(c, kScraper);
    t.s.ready(victim, kPullers);
    Body& last = t.add(kPullers + 1, 1000);
    CHECK_FALSE(t.run());
    CHECK(c.grants == 1);
    CHECK(victim.grants == 0);
    CHECK(last.grants == 1);
    CHECK(t.s.waiting() == 0);
}
