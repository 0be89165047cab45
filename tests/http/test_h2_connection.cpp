// What an HTTP/2 listener's connections send without a session: the answer
// past the connection cap. (The connections themselves run on the loop and
// are driven over real sockets by tests/blackbox/test_grpc.py.)
#include <doctest/doctest.h>

#include "http/h2_connection.hpp"
#include "support/h2_client.hpp"

using namespace mmwatch;

TEST_CASE("the_answer_past_the_connection_cap_is_settings_then_goaway_naming_why") {
    const std::vector<test::RawFrame> frames = test::h2_frames(http::h2_too_many_connections());
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].type == NGHTTP2_SETTINGS);
    CHECK(frames[0].payload.empty());
    CHECK(frames[1].type == NGHTTP2_GOAWAY);
    CHECK(frames[1].stream_id == 0);
    const std::string& p = frames[1].payload;
    REQUIRE(p.size() == 8 + 20);
    CHECK(p.substr(0, 4) == std::string(4, '\0'));                // last stream: none processed
    CHECK(p.substr(4, 4) == std::string("\0\0\0\x0b", 4));         // ENHANCE_YOUR_CALM
    CHECK(p.substr(8) == "too_many_connections");
    // An nghttp2 client reads it as a GOAWAY with that code.
    test::H2Client c;
    c.input(std::string(http::h2_too_many_connections()));
    CHECK(c.goaway);
    CHECK(c.goaway_code == NGHTTP2_ENHANCE_YOUR_CALM);
    CHECK(c.goaway_debug == "too_many_connections");
}
