// The loop's output, shared between client addresses. A connection with a
// response chunk to send asks for a turn (ready()); once a loop turn the
// server runs run_turn(), which grants chunks round by round: in each round
// every client address with a waiting connection gets one grant (its
// connections take turns), until the turn's budget (base::kWriteTurnBytes)
// is spent. So a thousand pullers behind one address get one grant a
// round, as a lone scraper from another address does, not a thousand; and
// a turn spends about kWriteTurnBytes (plus one chunk) on response bodies
// and their TLS encryption, however many connections want to write: the
// poll that reads a scraper's request comes round within a turn's budget.
// Who did not get a grant keeps its place at the front for the next turn
// (docs/operations.md, "Writing: the loop's output shared by address").
//
// Addresses are http::client_address keys (IPv4, or an IPv6 /64); the
// grants of one turn are tallied in an AddressCounts (a fixed table, no
// allocation), where two addresses that share both counters share one
// grant a round (measured: tests/http/test_address_counts.cpp). No libuv
// here: the waiters are an intrusive list, and nothing is allocated.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mmwatch::http {

class WriteScheduler {
public:
    // What waits for a grant: a connection. Its hook is the scheduler's.
    class Waiter {
    public:
        // Sends the next chunk (at most base::kWriteChunkBytes of response)
        // and returns the bytes of response it took. Must not throw (the
        // connection runs it under its guard). It asks again with ready()
        // when that write has completed, never from inside this call.
        virtual size_t write_granted() noexcept = 0;

    protected:
        ~Waiter() = default;

    private:
        friend class WriteScheduler;
        Waiter* prev_ = nullptr;
        Waiter* next_ = nullptr;
        uint64_t address_ = 0;
        bool queued_ = false;
    };

    struct Counters {
        uint64_t turns = 0;        // run_turn() calls
        uint64_t grants = 0;       // chunks granted
        uint64_t bytes = 0;        // bytes of response they took
        uint64_t budget_spent = 0; // turns that ended with connections still waiting
    };

    // `w`, from `address`, has a chunk to send: it waits at the back (once,
    // however often it asks).
    void ready(Waiter& w, uint64_t address) noexcept;
    // `w` is closing: out of the queue (safe if it is not in it).
    void forget(Waiter& w) noexcept;
    // One turn's grants, until `budget_bytes` are spent (a grant costs what
    // it sent, at least base::kWriteGrantFloorBytes) or no one waits.
    // True when someone still waits: the loop must come round again soon.
    bool run_turn(size_t budget_bytes) noexcept;

    [[nodiscard]] size_t waiting() const noexcept { return count_; }
    [[nodiscard]] const Counters& counters() const noexcept { return counters_; }

private:
    void push_back(Waiter& w) noexcept;

    Waiter* head_ = nullptr;
    Waiter* tail_ = nullptr;
    size_t count_ = 0;
    Counters counters_;
};

}  // namespace mmwatch::http
