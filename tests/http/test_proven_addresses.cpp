// The remembered client addresses: most recent first, the least recent
// forgotten past the capacity, a repeat only refreshes.
#include <doctest/doctest.h>

#include "http/proven_addresses.hpp"

using mmwatch::http::ProvenAddresses;

TEST_CASE("proven_addresses_forget_the_least_recently_proven_first") {
    ProvenAddresses a(3);
    for (uint64_t k : {1, 2, 3}) a.remember(k);
    a.remember(1);  // refreshed: now 2 is the least recent
    a.remember(4);
    CHECK(a.size() == 3);
    CHECK(a.contains(1));
    CHECK_FALSE(a.contains(2));
    CHECK(a.contains(3));
    CHECK(a.contains(4));
    a.remember(4);
    CHECK(a.size() == 3);
    ProvenAddresses none(0);
    none.remember(7);
    CHECK_FALSE(none.contains(7));
}
