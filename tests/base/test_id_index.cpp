#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "base/id_index.hpp"
#include "otlp/string_index.hpp"

using namespace mmwatch;
using namespace mmwatch::otlp;

namespace {

// Keys kept by the owner, as the store keeps its series keys.
struct Owner {
    std::vector<std::string> keys;
    base::IdIndex index;
    uint32_t find(const std::string& k, uint64_t h) const {
        return index.find(h, [&](uint32_t id) { return keys[id] == k; });
    }
    uint32_t add(const std::string& k, uint64_t h) {
        keys.push_back(k);
        index.insert(h, uint32_t(keys.size() - 1));
        return uint32_t(keys.size() - 1);
    }
};

}  // namespace

TEST_CASE("keys_with_one_hash_are_told_apart_by_the_owners_compare") {
    Owner o;
    CHECK(o.find("a", 7) == base::IdIndex::kMissing);  // empty index
    const uint32_t a = o.add("a", 7);
    const uint32_t b = o.add("b", 7);  // same hash, same slot chain
    CHECK(o.find("a", 7) == a);
    CHECK(o.find("b", 7) == b);
    CHECK(o.find("c", 7) == base::IdIndex::kMissing);
    CHECK(o.find("a", 8) == base::IdIndex::kMissing);  // another hash is another chain
}

TEST_CASE("every_id_is_found_after_the_table_grows_many_times") {
    Owner o;
    int mispredicted = 0;  // growth_bytes() is what the store's budget checks rely on
    for (int i = 0; i < 20'000; ++i) {
        const std::string k = "k" + std::to_string(i);
        const size_t predicted = o.index.growth_bytes(1);
        const size_t before = o.index.memory_bytes();
        o.add(k, hash_bytes(k));
        if (o.index.memory_bytes() - before > predicted) ++mispredicted;
    }
    CHECK(mispredicted == 0);
    int missing = 0;
    for (int i = 0; i < 20'000; ++i) {
        const std::string k = "k" + std::to_string(i);
        if (o.find(k, hash_bytes(k)) != uint32_t(i)) ++missing;
    }
    CHECK(missing == 0);
    CHECK(o.index.size() == 20'000);
    CHECK(o.index.memory_bytes() >= 2 * 20'000 * 8);  // at most half full
}

// Every byte of a short string reaches its hash (the tail is read in
// overlapping fixed-size loads, not byte by byte).
TEST_CASE("changing_any_one_byte_changes_the_hash") {
    for (size_t n = 1; n <= 24; ++n) {
        const std::string base(n, 'a');
        for (size_t i = 0; i < n; ++i) {
            std::string other = base;
            other[i] = 'b';
            CHECK_MESSAGE(hash_bytes(other) != hash_bytes(base), "length ", n, ", byte ", i);
        }
    }
    CHECK(hash_bytes("") != hash_bytes(std::string_view("\0", 1)));  // the length counts too
}

TEST_CASE("erased_ids_are_gone_and_every_other_still_found_in_one_run") {
    // Many keys on few hashes, so runs are long and wrap around the table;
    // erase in a scrambled order and check everything left each time.
    Owner o;
    std::vector<uint64_t> hashes;
    for (int i = 0; i < 3000; ++i) {
        hashes.push_back(uint64_t(i % 37) * 0x9e3779b97f4a7c15ull + (i % 5 == 0 ? 1023 : 0));
        o.add("k" + std::to_string(i), hashes.back());
    }
    std::vector<bool> gone(3000, false);
    for (int step = 0; step < 3000; ++step) {
        const int i = int((uint64_t(step) * 1103) % 3000);
        o.index.erase(hashes[size_t(i)], uint32_t(i));
        gone[size_t(i)] = true;
        if (step % 97 != 0) continue;
        for (int k = 0; k < 3000; ++k) {
            const uint32_t want = gone[size_t(k)] ? base::IdIndex::kMissing : uint32_t(k);
            REQUIRE(o.find("k" + std::to_string(k), hashes[size_t(k)]) == want);
        }
    }
    CHECK(o.index.size() == 0);
    o.index.erase(hashes[0], 0);  // absent: nothing happens
    CHECK(o.index.size() == 0);
}
