#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "otlp/service_health.hpp"

using namespace mmwatch::otlp;

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;

}  // namespace

TEST_CASE("services_are_found_by_namespace_and_name") {
    ServiceHealth h;
    const uint32_t a = h.service_id("", "checkout");
    CHECK(h.service_id("", "checkout") == a);
    CHECK(h.service_id("shop", "checkout") != a);  // same name, other namespace
    CHECK(h.size() == 2);
}

TEST_CASE("points_and_last_seen_are_summed_per_service") {
    ServiceHealth h;
    const uint32_t s = h.service_id("", "api");
    h.on_points(s, 3, kT0);
    h.on_points(s, 4, kT0 + kSec);
    const HealthSummary sum = h.summarize(s, kT0 + kSec);
    CHECK(sum.points == 7);
    CHECK(sum.last_seen_ns == kT0 + kSec);
    CHECK_FALSE(sum.has_http);
}

TEST_CASE("http_requests_errors_and_quantiles_over_the_last_minute") {
    ServiceHealth h;
    const uint32_t s = h.service_id("", "api");
    const std::vector<double> bounds = {0.1, 0.2, 0.4};
    const std::vector<uint64_t> ok = {50, 30, 20, 0};
    const std::vector<uint64_t> failed = {0, 0, 0, 10};
    h.on_http(s, {bounds, ok, 100, 200}, kT0);
    h.on_http(s, {bounds, failed, 10, 503}, kT0 + kSec);
    HealthSummary sum = h.summarize(s, kT0 + 2 * kSec);
    REQUIRE(sum.has_http);
    CHECK(sum.requests == 110);
    CHECK(sum.errors == 10);
    CHECK(sum.error_ratio == doctest::Approx(10.0 / 110));
    CHECK(sum.rate_per_s == doctest::Approx(110.0 / 60));
    CHECK(sum.p50_s == doctest::Approx(0.1 + 0.1 * 5.0 / 30.0));  // rank 55: 5 into the 30 of (0.1, 0.2]
    // Two minutes later the window is empty.
    sum = h.summarize(s, kT0 + 120 * kSec);
    CHECK_FALSE(sum.has_http);
}

TEST_CASE("bucket_quantile_interpolates_and_answers_the_inf_bucket_by_its_lower_bound") {
    const std::vector<double> bounds = {1, 2};
    const std::vector<uint64_t> counts = {10, 10, 0};
    CHECK(bucket_quantile(0.5, bounds, counts) == doctest::Approx(1.0));
    CHECK(bucket_quantile(0.75, bounds, counts) == doctest::Approx(1.5));
    const std::vector<uint64_t> tail = {0, 0, 5};
    CHECK(bucket_quantile(0.5, bounds, tail) == doctest::Approx(2.0));
}

TEST_CASE("health_json_lists_services_sorted_by_namespace_then_name") {
    ServiceHealth h;
    h.on_points(h.service_id("b", "x"), 1, kT0);
    h.on_points(h.service_id("a", "z"), 1, kT0);
    h.on_points(h.service_id("a", "y"), 1, kT0);
    std::string out;
    h.render_json(out, kT0);
    const size_t ay = out.find("\"name\":\"y\"");
    const size_t az = out.find("\"name\":\"z\"");
    const size_t bx = out.find("\"name\":\"x\"");
    CHECK(out.starts_with("{\"window_seconds\":60,\"services\":["));
    CHECK(ay < az);
    CHECK(az < bx);
    CHECK(out.find("\"http\":null") != std::string::npos);
}
