#include <doctest/doctest.h>

#include "base/utf8.hpp"

using namespace mmwatch;

TEST_CASE("utf8_sequences_by_length") {
    CHECK(base::utf8::sequence_length("a", 0) == 1);
    CHECK(base::utf8::sequence_length("\xc3\xa9", 0) == 2);
    CHECK(base::utf8::sequence_length("\xe2\x82\xac", 0) == 3);
    CHECK(base::utf8::sequence_length("\xf0\x9f\x98\x80", 0) == 4);
}

TEST_CASE("utf8_refuses_every_malformation") {
    CHECK(base::utf8::sequence_length("\x80", 0) == 0);              // lone continuation
    CHECK(base::utf8::sequence_length("\xc3", 0) == 0);              // cut short
    CHECK(base::utf8::sequence_length("\xc3(", 0) == 0);             // bad continuation
    CHECK(base::utf8::sequence_length("\xc0\xaf", 0) == 0);          // overlong 2
    CHECK(base::utf8::sequence_length("\xe0\x80\xaf", 0) == 0);      // overlong 3
    CHECK(base::utf8::sequence_length("\xf0\x80\x80\xaf", 0) == 0);  // overlong 4
    CHECK(base::utf8::sequence_length("\xed\xa0\x80", 0) == 0);      // surrogate
    CHECK(base::utf8::sequence_length("\xf4\x90\x80\x80", 0) == 0);  // past U+10FFFF
    CHECK(base::utf8::sequence_length("\xff", 0) == 0);
}

TEST_CASE("utf8_valid_over_whole_strings") {
    CHECK(base::utf8::valid(""));
    CHECK(base::utf8::valid("caf\xc3\xa9 \xf0\x9f\x98\x80"));
    CHECK_FALSE(base::utf8::valid("caf\xc3"));
    CHECK_FALSE(base::utf8::valid("ok\xffok"));
    static_assert(base::utf8::valid("constexpr \xc3\xa9"));
}
