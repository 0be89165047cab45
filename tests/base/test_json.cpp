#include <doctest/doctest.h>

#include <cmath>

#include "base/json.hpp"
#include "support/written.hpp"

using namespace mmwatch;

namespace {

std::string quoted(std::string_view s) { return test::written(base::json::append_string, s); }

}  // namespace

TEST_CASE("json_strings_escape_quotes_backslashes_and_controls") {
    CHECK(quoted("plain") == "\"plain\"");
    CHECK(quoted("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(quoted("\n\t\r") == "\"\\n\\t\\r\"");
    CHECK(quoted(std::string_view("\x01\x1f\x7f", 3)) == "\"\\u0001\\u001f\\u007f\"");
}

TEST_CASE("json_strings_repair_invalid_utf8") {
    CHECK(quoted("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
    CHECK(quoted("bad\xff") == "\"bad\xEF\xBF\xBD\"");
    CHECK(quoted("\xed\xa0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // a surrogate, byte by byte
}

TEST_CASE("json_numbers") {
    std::string out;
    base::json::append_number(out, uint64_t(18446744073709551615ull));
    out += ',';
    base::json::append_number(out, int64_t(-5));
    CHECK(out == "18446744073709551615,-5");
}

TEST_CASE("health_numbers_are_fixed_point_without_trailing_zeros") {
    auto f = [](double v) {
        std::string s;
        base::json::append_fixed6(s, v);
        return s;
    };
    CHECK(f(3.0) == "3");
    CHECK(f(0.1234567) == "0.123457");
    CHECK(f(-0.5) == "-0.5");
    CHECK(f(0.0000004) == "0");
    CHECK(f(NAN) == "\"NaN\"");
}

TEST_CASE("json_doubles_spell_non_finite_values_as_protobuf_json_does") {
    std::string bare, value;
    for (double v : {0.25, -1e300, double(NAN), double(INFINITY), -double(INFINITY)}) {
        base::json::append_number(bare, v);
        bare += ',';
        base::json::append_double(value, v);
        value += ',';
    }
    CHECK(bare == "0.25,-1e+300,NaN,Infinity,-Infinity,");
    CHECK(value == "0.25,-1e+300,\"NaN\",\"Infinity\",\"-Infinity\",");
}
