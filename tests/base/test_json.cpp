#include <doctest/doctest.h>

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
