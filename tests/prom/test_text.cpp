#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "prom/text.hpp"
#include "support/written.hpp"

using namespace mmwatch;

namespace {

std::string label(std::string_view raw) { return test::written(prom::append_label_value, raw); }
std::string value(double v) { return test::written(prom::append_value, v); }

}  // namespace

TEST_CASE("label_values_are_escaped") {
    CHECK(label("plain") == "plain");
    CHECK(label("a\"b") == "a\\\"b");
    CHECK(label("a\\b") == "a\\\\b");
    CHECK(label("a\nb") == "a\\nb");
    CHECK(label("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(label("bad\xff") == "bad\xEF\xBF\xBD");
    CHECK(label("cut\xe2\x82") == "cut\xEF\xBF\xBD\xEF\xBF\xBD");  // each stray byte once
}

TEST_CASE("help_text_escapes_backslash_and_newline_only") {
    std::string out;
    prom::append_head(out, "x_total", "counter", "say \"hi\"\\\nnow");
    CHECK(out == "# HELP x_total say \"hi\"\\\\\\nnow\n# TYPE x_total counter\n");
}

TEST_CASE("sample_values_spell_the_special_values") {
    CHECK(value(1.5) == "1.5");
    CHECK(value(0.1) == "0.1");  // shortest round trip
    CHECK(value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(value(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(value(std::nan("")) == "NaN");
}

TEST_CASE("series_with_one_escaped_label") {
    std::string out;
    prom::append_series(out, "m", "", "");
    CHECK(out == "m ");
    out.clear();
    prom::append_series(out, "m", "name", "a\"b");
    CHECK(out == "m{name=\"a\\\"b\"} ");
}
