// The newcomers-per-address estimate: exact without collisions, never
// under the truth, and how often a lone address looks crowded, measured
// over a fixed pseudo-random sequence of addresses (the figures quoted in
// address_counts.hpp).
#include <doctest/doctest.h>

#include <cstdint>

#include "http/address_counts.hpp"

using mmwatch::http::AddressCounts;

namespace {

// A fixed sequence (Knuth's MMIX LCG, high half): the same every run.
struct Addresses {
    uint64_t x = 1;
    uint64_t next() {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        return x >> 32;
    }
};

// Out of `draws`, how often one more address, beside `others` addresses
// holding one newcomer each, reads as holding more than its own one.
int looks_crowded(int others, int draws) {
    Addresses a;
    int crowded = 0;
    for (int d = 0; d < draws; ++d) {
        AddressCounts counts;
        for (int i = 0; i < others; ++i) counts.add(a.next());
        const uint64_t me = a.next();
        counts.add(me);
        crowded += counts.count(me) > 1;
    }
    return crowded;
}

}  // namespace

TEST_CASE("address_counts_count_each_address_and_never_below_the_truth") {
    AddressCounts c;
    for (int i = 0; i < 5; ++i) c.add(0x7f000002);
    c.add(0x7f000001);
    CHECK(c.count(0x7f000002) == 5);
    CHECK(c.count(0x7f000001) == 1);
    CHECK(c.count(0x0a000001) == 0);
    c.remove(0x7f000002);
    CHECK(c.count(0x7f000002) == 4);
    c.remove(0x0a000001);  // never added: nothing goes below zero
    CHECK(c.count(0x7f000001) == 1);
    // Every one of many addresses reads at least what it holds.
    Addresses a;
    AddressCounts many;
    uint64_t seen[300];
    for (uint64_t& s : seen) {
        s = a.next();
        many.add(s);
    }
    for (uint64_t s : seen) CHECK(many.count(s) >= 1);
}

TEST_CASE("a_lone_address_seldom_looks_crowded_at_the_newcomers_share") {
    // Alone it never does (its two counters are in different rows).
    CHECK(looks_crowded(0, 4000) == 0);
    // Beside 63 others (the newcomers' share at the default cap of 256):
    // measured 25 of 2,000 (1.25%); beside 255, 315 of 2,000 (15.8%).
    const int at_share = looks_crowded(63, 2000);
    const int crowded = looks_crowded(255, 2000);
    MESSAGE("looks crowded beside 63: ", at_share, "/2000; beside 255: ", crowded, "/2000");
    CHECK(at_share < 2000 * 3 / 100);
    CHECK(crowded < 2000 * 25 / 100);
}
