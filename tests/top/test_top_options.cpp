#include <doctest/doctest.h>

#include "top/top_options.hpp"

using namespace mmwatch::top;

TEST_CASE("options: URL, interval, curl's TLS and auth names") {
    std::string error;
    auto o = parse_options({"localhost:9479/", "--interval", "5s", "--cacert", "ca.pem", "--user", "u:p", "--once"},
                           error);
    REQUIRE(o);
    CHECK(o->url == "http://localhost:9479");
    CHECK(o->interval_ms == 5000);
    CHECK(o->cacert == "ca.pem");
    CHECK(o->user == "u:p");
    CHECK(o->once);
    auto d = parse_options({}, error);
    REQUIRE(d);
    CHECK(d->url == "http://127.0.0.1:9479");
    CHECK(d->interval_ms == 2000);
    CHECK_FALSE(parse_options({"--interval", "500ms"}, error));
    CHECK_FALSE(parse_options({"--interval"}, error));
    CHECK(error == "--interval needs a value");
    CHECK_FALSE(parse_options({"--view", "nope"}, error));
    CHECK_FALSE(parse_options({"a", "b"}, error));
}
