#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "base/human.hpp"

using namespace mmwatch::base;

TEST_CASE("numbers_are_whole_when_integers_else_six_significant_digits") {
    CHECK(format_number(42) == "42");
    CHECK(format_number(-3) == "-3");
    CHECK(format_number(1234567) == "1234567");
    CHECK(format_number(9007199254740992.0) == "9007199254740992");
    CHECK(format_number(1e300) == "1e+300");
    CHECK(format_number(0.125) == "0.125");
    CHECK(format_number(0.000123456789) == "0.000123457");
    CHECK(format_number(1234567.5) == "1.23457e+06");
    CHECK(format_number(std::nan("")) == "NaN");
    CHECK(format_number(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(format_number(-std::numeric_limits<double>::infinity()) == "-Inf");
    std::string out = "x=";
    append_number(out, 2.5);
    CHECK(out == "x=2.5");
}

TEST_CASE("bytes_carry_a_binary_unit") {
    CHECK(format_bytes(0) == "0 B");
    CHECK(format_bytes(512) == "512 B");
    CHECK(format_bytes(1023) == "1023 B");
    CHECK(format_bytes(1536) == "1.5 KiB");
    CHECK(format_bytes(3 << 20) == "3.0 MiB");
    CHECK(format_bytes(double(uint64_t(5) << 40)) == "5.0 TiB");
    CHECK(format_bytes(double(uint64_t(5) << 50)) == "5120.0 TiB");
    CHECK(format_bytes(-1) == "0 B");
    CHECK(format_bytes(std::nan("")) == "0 B");
}

TEST_CASE("durations_are_whole_units_rounded_down") {
    CHECK(format_duration(0) == "0s");
    CHECK(format_duration(-5) == "0s");
    CHECK(format_duration(59.9) == "59s");
    CHECK(format_duration(119) == "119s");
    CHECK(format_duration(120) == "2m");
    CHECK(format_duration(300) == "5m");
    CHECK(format_duration(3599) == "59m");
    CHECK(format_duration(3600) == "1h");
    CHECK(format_duration(86400) == "24h");
    CHECK(format_duration(172800) == "2d");
    CHECK(format_duration(std::nan("")) == "0s");
}
