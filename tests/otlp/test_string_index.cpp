#include <doctest/doctest.h>

#include <string>

#include "otlp/string_index.hpp"

using namespace mmwatch::otlp;

TEST_CASE("interned_strings_get_dense_stable_ids") {
    StringIndex idx;
    CHECK(idx.intern("a") == 0);
    CHECK(idx.intern("b") == 1);
    CHECK(idx.intern("a") == 0);
    CHECK(idx.intern("") == 2);  // the empty string is a string like any other
    CHECK(idx.intern("") == 2);
    CHECK(idx.size() == 3);
    CHECK(idx.get(1) == "b");
    CHECK(idx.get(2).empty());
}

TEST_CASE("views_stay_valid_across_growth_and_block_changes") {
    StringIndex idx;
    const std::string_view first = idx.get(idx.intern("first"));
    const std::string big(200 * 1024, 'x');  // larger than a block: stored apart
    const uint32_t big_id = idx.intern(big);
    for (int i = 0; i < 50'000; ++i) idx.intern("key-" + std::to_string(i));
    CHECK(first == "first");
    CHECK(idx.get(big_id) == big);
    CHECK(idx.intern("key-49999") == idx.size() - 1);
    CHECK(idx.intern("key-0") == big_id + 1);
}

TEST_CASE("strings_differing_only_past_eight_bytes_or_by_length_are_distinct") {
    StringIndex idx;
    const uint32_t a = idx.intern("abcdefgh1");
    const uint32_t b = idx.intern("abcdefgh2");
    const uint32_t c = idx.intern(std::string_view("abc\0", 4));
    const uint32_t d = idx.intern("abc");
    CHECK(a != b);
    CHECK(c != d);
    CHECK(idx.get(c).size() == 4);
}

TEST_CASE("memory_bytes_counts_the_copied_strings") {
    StringIndex idx;
    const size_t empty = idx.memory_bytes();
    idx.intern(std::string(100'000, 'y'));
    CHECK(idx.memory_bytes() >= empty + 100'000);
}
