#include <doctest/doctest.h>

#include <cmath>

#include "promql/format.hpp"

using namespace mmwatch::promql;

TEST_CASE("go_g_format") {
    CHECK(format_go_g(1) == "1");
    CHECK(format_go_g(1.1) == "1.1");
    CHECK(format_go_g(123456) == "123456");
    CHECK(format_go_g(1234567) == "1.234567e+06");
    CHECK(format_go_g(1e6) == "1e+06");
    CHECK(format_go_g(0.0001) == "0.0001");
    CHECK(format_go_g(0.00001) == "1e-05");
    CHECK(format_go_g(-2.5) == "-2.5");
    CHECK(format_go_g(NAN) == "NaN");
    CHECK(format_go_g(INFINITY) == "+Inf");
    CHECK(format_go_g(-INFINITY) == "-Inf");
    CHECK(format_go_g(0) == "0");
}

TEST_CASE("go_f_format") {
    CHECK(format_go_f(1e21) == "1000000000000000000000");
    CHECK(format_go_f(1e-7) == "0.0000001");
    CHECK(format_go_f(-0.5) == "-0.5");
    CHECK(format_go_f(3) == "3");
}

TEST_CASE("durations_print_as_prometheus") {
    CHECK(format_duration_ns(0) == "0s");
    CHECK(format_duration_ns(90'000'000'000) == "1m30s");
    CHECK(format_duration_ns(7LL * 24 * 3600 * 1'000'000'000) == "1w");
    CHECK(format_duration_ns(8LL * 24 * 3600 * 1'000'000'000) == "8d");
    CHECK(format_duration_ns(100'000'000) == "100ms");
}
