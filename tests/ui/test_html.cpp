#include <doctest/doctest.h>

#include <string>

#include "ui/html.hpp"

using namespace mmwatch::ui;

namespace {

template <typename F>
std::string written(F&& f) {
    std::string out;
    f(out);
    return out;
}

}  // namespace

TEST_CASE("escaping_turns_markup_in_outside_text_into_character_references") {
    const std::string out = written([](std::string& o) { append_escaped(o, "<script>alert('x&y')</script>\""); });
    CHECK(out == "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;&quot;");
    CHECK(written([](std::string& o) { append_escaped(o, "plain ünïcode"); }) == "plain ünïcode");
}

TEST_CASE("url_encoding_keeps_only_unreserved_characters") {
    CHECK(written([](std::string& o) { append_url_encoded(o, "a-b_c.d~e"); }) == "a-b_c.d~e");
    CHECK(written([](std::string& o) { append_url_encoded(o, "x{a=\"1\"}&#<"); }) == "x%7Ba%3D%221%22%7D%26%23%3C");
}

TEST_CASE("ages_and_times_read_as_a_person_writes_them") {
    CHECK(written([](std::string& o) { append_age(o, 100'000, 0); }) == "never");
    CHECK(written([](std::string& o) { append_age(o, 100'000, 95'000); }) == "5s ago");
    CHECK(written([](std::string& o) { append_age(o, 10'000'000, 9'400'000); }) == "10m ago");
    CHECK(written([](std::string& o) { append_age(o, 10'000'000, 10'500'000); }) == "0s ago");  // a clock step back
    CHECK(written([](std::string& o) { append_utc(o, 1'700'000'000'000); }) == "2023-11-14 22:13:20 UTC");
    CHECK(written([](std::string& o) { append_hh_mm(o, 1'700'000'000'000); }) == "22:13");
}
