// The remembered client addresses: most recent first, the least recent
// forgotten past the capacity, a repeat only refreshes.
#include <doctest/doctest.h>

#include <algorithm>
#include <list>

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

// Against a plain least-recently-used list, over a long churn of
// addresses drawn from a pool a little larger than the table: every
// remember, forget and refresh agrees, the index included (the table is
// full most of the time, so forgotten slots are reused and shifted).
TEST_CASE("proven_addresses_agree_with_a_plain_lru_through_churn") {
    for (size_t capacity : {size_t(1), size_t(7), mmwatch::base::kMaxProvenAddresses}) {
        ProvenAddresses a(capacity);
        std::list<uint64_t> model;  // most recent first
        uint64_t seed = 12345;
        const uint64_t pool = capacity + capacity / 2 + 2;
        for (int i = 0; i < 200'000; ++i) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            // Neighbouring addresses, as one subnet's clients are.
            const uint64_t address = 0x7f000000 + (seed >> 33) % pool;
            a.remember(address);
            model.remove(address);
            model.push_front(address);
            if (model.size() > capacity) model.pop_back();
            if (i % 997 == 0) {
                REQUIRE(a.size() == model.size());
                for (uint64_t k = 0; k < pool; ++k) {
                    const bool in_model = std::find(model.begin(), model.end(), 0x7f000000 + k) != model.end();
                    REQUIRE(a.contains(0x7f000000 + k) == in_model);
                }
            }
        }
    }
}

TEST_CASE("proven_addresses_hold_no_more_than_the_table_made_at_start") {
    // A capacity past the table is the table's; its size never changes.
    ProvenAddresses a(mmwatch::base::kMaxProvenAddresses * 4);
    for (uint64_t k = 0; k < mmwatch::base::kMaxProvenAddresses * 3; ++k) a.remember(k * 0x10000);
    CHECK(a.size() == mmwatch::base::kMaxProvenAddresses);
    CHECK(ProvenAddresses::bytes() < 32 * 1024);
}
