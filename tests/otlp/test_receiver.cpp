#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "otlp/query.hpp"
#include "otlp/receiver.hpp"
#include "support/otlp_proto.hpp"
#include "support/otlp_test_util.hpp"

#include <protozero/pbf_reader.hpp>

using namespace mmwatch;
using namespace mmwatch::otlp;
namespace pb = mmwatch::test::pb;

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;
constexpr uint64_t kMaxBody = 64 * 1024;

Reply post(test::OtlpRig& rig, std::string body, std::string_view ct = "application/json", std::string_view enc = {},
           int64_t now = kT0) {
    test::TestRequest t("POST", "/v1/metrics", "", std::move(body), ct, enc);
    return rig.receiver.handle_export(t.export_request(), now);
}

std::string body_of(const Reply& r) { return r.body; }

}  // namespace

TEST_CASE("export_of_valid_points_answers_200_with_empty_object") {
    test::OtlpRig rig({}, kMaxBody);
    const Reply r = post(rig, test::otlp_body(test::gauge_metric("g", 1, kT0)));
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/json");
    CHECK(body_of(r) == "{}");
    CHECK(rig.receiver.counters().requests[size_t(ExportResult::ok)] == 1);
}

TEST_CASE("refused_points_answer_partial_success_with_count_as_string") {
    test::OtlpRig rig({}, kMaxBody);
    const std::string m = test::gauge_metric("g", 1, kT0) + "," + test::sum_metric("s", 1, kT0, 0, true) + "," +
                          test::sum_metric("s2", 1, kT0, 0, true);
    const Reply r = post(rig, test::otlp_body(m));
    CHECK(r.status == 200);
    const std::string b = body_of(r);
    CHECK(b.find(R"("partialSuccess":{"rejectedDataPoints":"2","errorMessage":"unspecified_temporality: )") !=
          std::string::npos);
}

TEST_CASE("protobuf_requests_are_answered_in_protobuf_and_json_in_json") {
    test::OtlpRig rig({}, kMaxBody);
    // Success: an empty ExportMetricsServiceResponse.
    const std::string ok = pb::request({pb::metric("g", pb::gauge, {pb::number_point({}, uint64_t(kT0), 1)})});
    Reply r = post(rig, ok, "application/x-protobuf");
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/x-protobuf");
    CHECK(body_of(r).empty());
    CHECK(rig.store.series().size() == 1);
    // Partial success: 1: { 1: rejected_data_points, 2: error_message }.
    const std::string bad = pb::request({pb::metric("s", pb::sum, {pb::number_point({}, uint64_t(kT0), 1)}, 0)});
    r = post(rig, bad, "application/x-protobuf");
    CHECK(r.status == 200);
    const std::string answer = body_of(r);
    protozero::pbf_reader resp(answer);
    REQUIRE(resp.next(1));
    protozero::pbf_reader partial = resp.get_message();
    REQUIRE(partial.next(1));
    CHECK(partial.get_int64() == 1);
    REQUIRE(partial.next(2));
    CHECK(partial.get_string().starts_with("unspecified_temporality"));
    // Undecodable: 400 with a google.rpc.Status (1: code, 2: message).
    r = post(rig, std::string("\x0a\xff", 2), "application/x-protobuf");
    CHECK(r.status == 400);
    CHECK(r.content_type == "application/x-protobuf");
    const std::string status_bytes = body_of(r);
    protozero::pbf_reader status(status_bytes);
    REQUIRE(status.next(1));
    CHECK(status.get_int32() == 3);  // INVALID_ARGUMENT
    REQUIRE(status.next(2));
    CHECK(status.get_string().find("malformed_protobuf") != std::string::npos);
    CHECK(rig.receiver.counters().decode_errors[size_t(DecodeError::malformed_protobuf)] == 1);
    // JSON stays JSON; other media types are 415.
    CHECK(post(rig, "{}", "text/plain").status == 415);
    CHECK(post(rig, "{}", "").status == 415);
    r = post(rig, "{}", "Application/JSON; charset=utf-8");
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/json");
}

TEST_CASE("undecodable_body_is_400_with_a_status_message_and_stores_nothing") {
    test::OtlpRig rig({}, kMaxBody);
    Store& store = rig.store;
    // The first metric is fine; the second breaks the body: nothing stored.
    const std::string body = test::otlp_body(test::gauge_metric("g", 1, kT0) + R"(,{"name":"x","gauge":{"dataPoints":7}})");
    const Reply r = post(rig, body);
    CHECK(r.status == 400);
    CHECK(body_of(r).starts_with(R"({"code":3,"message":"undecodable ExportMetricsServiceRequest: wrong_type at dataPoints"})"));
    CHECK(store.series().empty());
    CHECK(rig.receiver.counters().decode_errors[size_t(DecodeError::wrong_type)] == 1);
}

TEST_CASE("body_over_the_limit_is_413_and_exactly_at_it_is_accepted") {
    test::OtlpRig rig({}, kMaxBody);
    std::string body = test::otlp_body(test::gauge_metric("g", 1, kT0));
    body.append(kMaxBody - body.size(), ' ');
    CHECK(post(rig, body).status == 200);
    body += ' ';
    CHECK(post(rig, body).status == 413);
}

TEST_CASE("gzip_body_is_inflated_and_decoded") {
    test::OtlpRig rig({}, kMaxBody);
    Store& store = rig.store;
    const Reply r = post(rig, test::gzip(test::otlp_body(test::gauge_metric("g", 3, kT0))),
                                  "application/json", "gzip");
    CHECK(r.status == 200);
    REQUIRE(store.series().size() == 1);
    CHECK(store.series()[0].last_value == 3);
}

TEST_CASE("gzip_bomb_stops_at_the_limit_with_413") {
    test::OtlpRig rig({}, kMaxBody);
    Store& store = rig.store;
    std::string big = test::otlp_body(test::gauge_metric("g", 3, kT0));
    big.append(64 * 1024 * 1024, ' ');  // 64 MiB of whitespace: valid JSON, ~64 KiB compressed
    const std::string bomb = test::gzip(big);
    REQUIRE(bomb.size() < kMaxBody);
    const Reply r = post(rig, bomb, "application/json", "gzip");
    CHECK(r.status == 413);
    CHECK(rig.receiver.input().size() <= kMaxBody + 1);
    CHECK(store.series().empty());
}

TEST_CASE("inflated_exactly_at_the_limit_is_accepted") {
    test::OtlpRig rig({}, kMaxBody);
    std::string body = test::otlp_body(test::gauge_metric("g", 1, kT0));
    body.append(kMaxBody - body.size(), ' ');
    CHECK(post(rig, test::gzip(body), "application/json", "gzip").status == 200);
    body += ' ';
    CHECK(post(rig, test::gzip(body), "application/json", "gzip").status == 413);
}

TEST_CASE("truncated_or_corrupt_gzip_is_400") {
    test::OtlpRig rig({}, kMaxBody);
    const std::string z = test::gzip(test::otlp_body(test::gauge_metric("g", 1, kT0)));
    CHECK(post(rig, z.substr(0, z.size() / 2), "application/json", "gzip").status == 400);
    CHECK(post(rig, "not gzip at all", "application/json", "gzip").status == 400);
    CHECK(post(rig, "{}", "application/json", "br").status == 415);
    CHECK(rig.receiver.counters().gzip_errors == 2);
}

TEST_CASE("export_with_get_is_405_with_allow") {
    test::OtlpRig rig({}, kMaxBody);
    test::TestRequest t("GET", "/v1/metrics", "", "");
    const Reply r = rig.receiver.handle_export(t.export_request(), kT0);
    CHECK(r.status == 405);
    CHECK(r.allow == "POST");  // the router writes it as Allow: POST
}

TEST_CASE("services_report_points_rate_errors_and_latency_quantiles") {
    test::OtlpRig rig({}, kMaxBody);
    Store& store = rig.store;
    // A fresh cumulative series (started within the minute) counts in full.
    auto hist = [](int64_t t, const char* status, const char* counts, const char* count) {
        return std::string(R"({"name":"http.server.request.duration","unit":"s","histogram":{"aggregationTemporality":2,
            "dataPoints":[{"attributes":[{"key":"http.response.status_code","value":{"intValue":")") + status +
               R"("}}],"startTimeUnixNano":")" + std::to_string(kT0 - kSec) + R"(","timeUnixNano":")" +
               std::to_string(t) + R"(","count":")" + count + R"(","sum":1,"bucketCounts":)" + counts +
               R"(,"explicitBounds":[0.1,0.2,0.4]}]}})";
    };
    post(rig, test::otlp_body(hist(kT0, "200", R"(["50","40","10","0"])", "100")), "application/json", {}, kT0);
    post(rig, test::otlp_body(hist(kT0, "503", R"(["0","0","0","20"])", "20")), "application/json", {}, kT0);
    // Second export of the 200 series: 60 more requests, all under 0.1 s.
    post(rig, test::otlp_body(hist(kT0 + 10 * kSec, "200", R"(["110","40","10","0"])", "160")), "application/json",
         {}, kT0 + 10 * kSec);
    const HealthSummary h = store.health().summarize(0, kT0 + 10 * kSec);
    CHECK(h.name == "checkout");
    CHECK(h.points == 3);
    CHECK(h.last_seen_ns == kT0 + 10 * kSec);
    CHECK(h.requests == 180);
    CHECK(h.errors == 20);
    CHECK(h.error_ratio == doctest::Approx(20.0 / 180));
    CHECK(h.rate_per_s == doctest::Approx(3.0));
    CHECK(h.p50_s == doctest::Approx(0.1 * 90 / 110));  // rank 90 of 110 in the first bucket
    CHECK(h.p99_s == doctest::Approx(0.4));             // +Inf bucket: the highest bound
    // A minute later the window is empty but the service is still listed.
    const HealthSummary later = store.health().summarize(0, kT0 + 200 * kSec);
    CHECK_FALSE(later.has_http);
    const std::string json = body_of(services(store, kT0 + 10 * kSec));
    CHECK(json.find(R"("name":"checkout","namespace":"","points_received":3)") != std::string::npos);
    CHECK(json.find(R"("requests":180,"errors_5xx":20,"request_rate_per_second":3)") != std::string::npos);
}

TEST_CASE("old_http_server_duration_in_milliseconds_is_converted_to_seconds") {
    test::OtlpRig rig({}, kMaxBody);
    Store& store = rig.store;
    post(rig, test::otlp_body(R"({"name":"http.server.duration","unit":"ms","histogram":{"aggregationTemporality":1,
        "dataPoints":[{"attributes":[{"key":"http.status_code","value":{"intValue":"500"}}],"timeUnixNano":"1",
        "count":"10","bucketCounts":["0","10"],"explicitBounds":[100]}]}})"));
    const HealthSummary h = store.health().summarize(0, kT0);
    CHECK(h.requests == 10);
    CHECK(h.errors == 10);
    CHECK(h.p50_s == doctest::Approx(0.1));
}

TEST_CASE("decoder_scratch_is_given_back_after_a_large_request") {
    test::OtlpRig rig({}, 8 << 20);
    std::string metrics;
    for (int i = 0; metrics.size() < 3'000'000; ++i) {
        if (i) metrics += ',';
        metrics += "{}";  // a million empty metrics: large scratch, nothing stored
    }
    (void)post(rig, test::otlp_body(metrics));
    CHECK(rig.receiver.scratch_bytes() <= base::kOtlpScratchKeepBytes);
    REQUIRE(post(rig, test::otlp_body(test::gauge_metric("g", 1, kT0))).status == 200);
    CHECK(rig.store.series().size() == 1);
}
