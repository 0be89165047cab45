// Hammering one 64-bit value with a writer thread while this thread reads
// it, with values whose two 32-bit halves are tied to each other: a read
// that mixes the halves of two writes (a torn access, possible on 32-bit
// ARM when a value is loaded or stored as two words) is a value no write
// wrote, and shows. docs/format.md ("32-bit ARM") says why it cannot happen.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace mmwatch::test {

// Adding this moves both halves by one: a counter's k-th value is k in each.
inline constexpr uint64_t kBothHalvesOne = 0x1'0000'0001;

[[nodiscard]] inline bool halves_equal(uint64_t v) { return uint32_t(v >> 32) == uint32_t(v); }

// A stored value: k below, ~k above.
[[nodiscard]] inline uint64_t tied(uint32_t k) { return (uint64_t(~k) << 32) | k; }
[[nodiscard]] inline bool is_tied(uint64_t v) { return uint32_t(v >> 32) == uint32_t(~uint32_t(v)); }

struct HammerResult {
    uint64_t reads = 0;
    uint64_t changes = 0;    // reads that saw a value the last one had not
    uint64_t torn = 0;       // values no write wrote
    uint64_t backwards = 0;  // a write older than one already read (k in the low half went down)
};

// A writer thread calls write(k) for k = 1, 2, ... until this thread,
// calling read(), has seen the value change `changes` times, so reads and
// writes overlap by construction (however slow the machine or emulator).
// written(v) says whether v is a value the writer can have written.
template <typename Write, typename Read, typename Written>
HammerResult hammer(uint64_t changes, Write write, Read read, Written written) {
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (uint32_t k = 1; !stop.load(std::memory_order_relaxed); ++k) write(k);
    });
    HammerResult r;
    uint64_t last = read();
    while (r.changes < changes) {
        const uint64_t v = read();
        ++r.reads;
        if (!written(v)) ++r.torn;
        if (v != last) ++r.changes;
        if (uint32_t(v) < uint32_t(last)) ++r.backwards;
        last = v;
    }
    stop.store(true, std::memory_order_relaxed);
    writer.join();
    return r;
}

}  // namespace mmwatch::test
