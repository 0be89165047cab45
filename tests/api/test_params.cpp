#include <doctest/doctest.h>

#include <string>

#include "api/params.hpp"

using namespace mmwatch::api;

TEST_CASE("params_decode_query_strings_and_forms") {
    Params p;
    CHECK(p.add("query=sum(rate(x%5B5m%5D))+by+(job)&match%5B%5D=a&match[]=b&empty=&flag"));
    CHECK(*p.get("query") == "sum(rate(x[5m])) by (job)");
    CHECK(p.all("match[]") == std::vector<std::string>{"a", "b"});
    CHECK(*p.get("empty") == "");
    CHECK(*p.get("flag") == "");
    CHECK(p.get("nothing") == nullptr);
    CHECK(p.add("time=1"));  // a body after the query string: both kept, the first wins
    CHECK(!Params().add("q=%zz"));
    CHECK(!Params().add("q=%4"));
    CHECK(!Params().add("q=%"));
}

TEST_CASE("times_are_float_seconds_or_rfc3339") {
    int64_t ms = 0;
    std::string err;
    CHECK(parse_time_ms("1435781451.781", ms, err));
    CHECK(ms == 1435781451781);
    CHECK(parse_time_ms("-1.5", ms, err));
    CHECK(ms == -1500);
    CHECK(parse_time_ms("2015-07-01T20:10:51.781Z", ms, err));
    CHECK(ms == 1435781451781);
    CHECK(parse_time_ms("2015-07-01T22:10:51+02:00", ms, err));
    CHECK(ms == 1435781451000);
    CHECK(parse_time_ms("1970-01-01T00:00:00.5z", ms, err));
    CHECK(ms == 500);
    for (const char* bad : {"", "x", "2015-07-01", "2015-13-01T00:00:00Z", "2015-07-01T20:10:51", "NaN", "Inf"}) {
        CAPTURE(bad);
        CHECK(!parse_time_ms(bad, ms, err));
    }
    CHECK(err == "cannot parse \"Inf\" to a valid timestamp");
}

TEST_CASE("durations_are_float_seconds_or_prometheus_durations") {
    int64_t ms = 0;
    std::string err;
    CHECK(parse_duration_ms("15", ms, err));
    CHECK(ms == 15'000);
    CHECK(parse_duration_ms("0.5", ms, err));
    CHECK(ms == 500);
    CHECK(parse_duration_ms("1m30s", ms, err));
    CHECK(ms == 90'000);
    CHECK(parse_duration_ms("1d", ms, err));
    CHECK(ms == 86'400'000);
    CHECK(!parse_duration_ms("1e300", ms, err));
    CHECK(err == "cannot parse \"1e300\" to a valid duration. It overflows int64");
    CHECK(!parse_duration_ms("5 minutes", ms, err));
    CHECK(err == "cannot parse \"5 minutes\" to a valid duration");
}
