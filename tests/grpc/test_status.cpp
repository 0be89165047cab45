#include <doctest/doctest.h>

#include <string>

#include <protozero/pbf_reader.hpp>

#include "grpc/status.hpp"

using namespace mmwatch;
using namespace mmwatch::grpc;

TEST_CASE("code_names_are_the_specification_spelling") {
    CHECK(code_name(Code::ok) == "OK");
    CHECK(code_name(Code::invalid_argument) == "INVALID_ARGUMENT");
    CHECK(code_name(Code::unauthenticated) == "UNAUTHENTICATED");
    CHECK(code_name(Code(99)) == "unknown");
}

TEST_CASE("grpc_message_is_percent_encoded_outside_printable_ascii_and_for_percent") {
    std::string out;
    append_percent_encoded(out, "h\xc3\xa9llo 100%\n~");
    CHECK(out == "h%C3%A9llo 100%25%0A~");
}

TEST_CASE("trailers_carry_status_message_and_retry_info_when_asked") {
    Fields t;
    append_status_trailers(t, Code::ok, "", 0);
    REQUIRE(t.size() == 1);
    CHECK(t[0] == std::pair<std::string, std::string>{"grpc-status", "0"});
    t.clear();
    append_status_trailers(t, Code::unavailable, "busy", 1500);
    REQUIRE(t.size() == 3);
    CHECK(t[0].second == "14");
    CHECK(t[1] == std::pair<std::string, std::string>{"grpc-message", "busy"});
    CHECK(t[2].first == "grpc-status-details-bin");
    CHECK(t[2].second.find('=') == std::string::npos);  // unpadded
}

TEST_CASE("status_details_is_a_google_rpc_status_with_retry_info") {
    const std::string s = status_details(Code::unavailable, "busy", 1500);
    protozero::pbf_reader status(s);
    REQUIRE(status.next(1));
    CHECK(status.get_int32() == 14);
    REQUIRE(status.next(2));
    CHECK(status.get_string() == "busy");
    REQUIRE(status.next(3));
    protozero::pbf_reader any = status.get_message();
    REQUIRE(any.next(1));
    CHECK(any.get_string() == "type.googleapis.com/google.rpc.RetryInfo");
    REQUIRE(any.next(2));
    protozero::pbf_reader info = any.get_message();
    REQUIRE(info.next(1));
    protozero::pbf_reader delay = info.get_message();
    REQUIRE(delay.next(1));
    CHECK(delay.get_int64() == 1);
    REQUIRE(delay.next(2));
    CHECK(delay.get_int32() == 500'000'000);
}
