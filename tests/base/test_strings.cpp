#include <doctest/doctest.h>

#include "base/strings.hpp"

using namespace mmwatch;

TEST_CASE("trim_takes_optional_white_space_off_both_ends_only") {
    CHECK(base::trim(" \t gzip\t ") == "gzip");
    CHECK(base::trim("a b") == "a b");
    CHECK(base::trim(" \t ").empty());
    CHECK(base::trim("").empty());
    CHECK(base::trim(" \ts ", " ") == "\ts");  // only the characters asked for
}

TEST_CASE("iequals_ignores_ascii_case_only") {
    CHECK(base::iequals("Content-Type", "content-type"));
    CHECK_FALSE(base::iequals("gzip", "gzip2"));
    CHECK_FALSE(base::iequals("\xc3\x89", "\xc3\xa9"));  // É and é: not ASCII
}
