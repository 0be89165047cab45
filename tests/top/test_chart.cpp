#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "top/chart.hpp"

using namespace mmwatch::top;

TEST_CASE("sparkline: lowest to highest, newest at the right, NaN blank") {
    CHECK(sparkline({0, 7}, 2, Glyphs::ascii) == "_#");
    CHECK(sparkline({1, 2}, 4, Glyphs::ascii) == "  _#");
    CHECK(sparkline({0, std::nan(""), 7}, 3, Glyphs::ascii) == "_ #");
    CHECK(sparkline({5, 5, 5}, 3, Glyphs::ascii) == "~~~");  // flat: the middle
    CHECK(sparkline({}, 3, Glyphs::ascii) == "   ");
    CHECK(sparkline({0, 7}, 2, Glyphs::utf8) == "\u2581\u2588");
}

TEST_CASE("sparkline: more values than columns keep each column's last") {
    CHECK(sparkline({0, 7, 0, 0}, 2, Glyphs::ascii) == "#_");
    CHECK(sparkline({0, 0, 0, 7}, 2, Glyphs::ascii) == "_#");
}

TEST_CASE("chart: bars of eighths in UTF-8, whole rows in ASCII") {
    auto rows = chart({0, 1, 2}, 3, 2, Glyphs::ascii);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == "  #");
    CHECK(rows[1] == "###");  // the lowest value still a sliver
    auto u = chart({0, 4}, 2, 1, Glyphs::utf8);
    CHECK(u[0] == "\u2581\u2588");
    auto flat = chart({3, 3}, 2, 2, Glyphs::ascii);  // a flat positive series is full
    CHECK(flat[0] == "##");
}

TEST_CASE("per_second: increases per second, a drop is a reset") {
    auto r = per_second({{0, 10}, {10, 30}, {20, 5}, {30, std::nan("")}});
    REQUIRE(r.size() == 3);
    CHECK(r[0] == 2);
    CHECK(r[1] == doctest::Approx(0.5));
    CHECK(std::isnan(r[2]));
    CHECK(per_second({{0, 1}}).empty());
    CHECK(values_of({{0, 1}, {1, 2}}) == std::vector<double>{1, 2});
}
