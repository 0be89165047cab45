#include <doctest/doctest.h>

#include <cmath>

#include "top/model.hpp"

using namespace mmwatch::top;

TEST_CASE("parse_vector: an instant answer becomes series with their labels and values") {
    const std::string json = R"({"status":"success","data":{"resultType":"vector","result":[
      {"metric":{"__name__":"jobs_total","name":"worker"},"value":[1700000000.5,"42"]},
      {"metric":{"__name__":"temp","a":"x\"y"},"value":[1700000000.5,"NaN"]}]}})";
    std::vector<Series> out;
    CHECK(parse_vector(json, out) == "");
    REQUIRE(out.size() == 2);
    CHECK(out[0].name == "jobs_total");
    CHECK(out[0].labels == Labels{{"name", "worker"}});
    CHECK(out[0].value == 42);
    CHECK(out[1].labels[0].second == "x\"y");
    CHECK(std::isnan(out[1].value));
}

TEST_CASE("parse_vector: the server's error message is what is returned") {
    std::vector<Series> out;
    CHECK(parse_vector(R"({"status":"error","errorType":"bad_data","error":"parse error at 3"})", out) ==
          "parse error at 3");
    CHECK(parse_vector("not json", out) == "the answer is not JSON");
    CHECK(parse_vector(R"({"status":"success","data":{"resultType":"matrix","result":[]}})", out) ==
          "the answer is not a vector");
    CHECK(parse_vector(R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}})", out) ==
          "a result without a metric or a value");
    CHECK(out.empty());
}

TEST_CASE("parse_matrix: points in order, +Inf kept") {
    const std::string json = R"({"status":"success","data":{"resultType":"matrix","result":[
      {"metric":{"__name__":"x"},"values":[[10,"1"],[25,"+Inf"]]}]}})";
    std::vector<RangeSeries> out;
    CHECK(parse_matrix(json, out) == "");
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].points.size() == 2);
    CHECK(out[0].points[0] == std::pair<double, double>{10, 1});
    CHECK(std::isinf(out[0].points[1].second));
}

TEST_CASE("parse_sources and parse_services: the fields the views show") {
    std::vector<Source> sources;
    CHECK(parse_sources(R"({"directory_present":true,"sources":[
      {"name":"bad","path":"bad.rezl","state":"rejected","reason":"byte_swapped_magic","message":"m","metrics":0,"size":24,"stale":false},
      {"name":"web","path":"web.rezl","state":"active","metrics":4,"size":4472,"stale":true}]})",
                        sources) == "");
    REQUIRE(sources.size() == 2);
    CHECK(sources[0].reason == "byte_swapped_magic");
    CHECK(sources[1].metrics == 4);
    CHECK(sources[1].size == 4472);
    CHECK(sources[1].stale);
    std::vector<Service> services;
    CHECK(parse_services(R"({"window_seconds":60,"services":[{"name":"checkout","namespace":"shop","points_received":1200,
      "last_seen_unix_nanos":"1700000010000000000","http":{"requests":180,"errors_5xx":20,
      "request_rate_per_second":3,"error_ratio":0.111111,"latency_seconds":{"p50":0.081818,"p95":0.4,"p99":0.4}}},
      {"name":"idle","points_received":1,"last_seen_unix_nanos":"1700000000000000000","http":null}]})",
                         services) == "");
    REQUIRE(services.size() == 2);
    CHECK(services[0].ns == "shop");
    CHECK(services[0].points_received == 1200);
    CHECK(services[0].last_seen_unix_s == doctest::Approx(1700000010.0));
    CHECK(services[0].has_http);
    CHECK(services[0].p99_s == doctest::Approx(0.4));
    CHECK_FALSE(services[1].has_http);
    CHECK(parse_services("[]", services) == "not a list of services");
}

TEST_CASE("selector_of escapes label values as PromQL reads them") {
    CHECK(selector_of("up", {}) == "up{}");
    CHECK(selector_of("x", {{"a", "1"}, {"b", "q\"\\\n"}}) == "x{a=\"1\",b=\"q\\\"\\\\\\n\"}");
}

TEST_CASE("looks_like_counter by Prometheus' suffixes") {
    CHECK(looks_like_counter("jobs_total"));
    CHECK(looks_like_counter("latency_count"));
    CHECK_FALSE(looks_like_counter("temperature"));
    CHECK_FALSE(looks_like_counter("_total"));
}
