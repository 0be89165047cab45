// The gRPC listener's routes and self-metrics without a socket: H2Requests
// as the HTTP/2 session hands them over, answered as the session sends them.
#include <doctest/doctest.h>

#include <string>

#include "daemon/grpc_self_metrics.hpp"
#include "grpc/message.hpp"
#include "support/daemon_rig.hpp"
#include "support/otlp_proto.hpp"

using namespace mmwatch;
namespace pb = mmwatch::test::pb;

namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

http::H2Request grpc_request(std::string message, http::H2StreamRefusal refusal = http::H2StreamRefusal::none) {
    http::H2Request r;
    r.stream_id = 1;
    for (const auto& [name, value] : {std::pair<std::string_view, std::string_view>{":method", "POST"},
                                      {":path", grpc::kExportPath},
                                      {"content-type", "application/grpc"},
                                      {"te", "trailers"}})
        REQUIRE(r.add_field(name, value, 16 * 1024));
    grpc::append_prefix(r.body, uint32_t(message.size()));
    r.body += message;
    r.refusal = refusal;
    return r;
}

std::string field(const std::vector<std::pair<std::string, std::string>>& fields, std::string_view name) {
    for (const auto& [n, v] : fields)
        if (n == name) return v;
    return "(none)";
}

std::string metrics(test::DaemonRig& rig) {
    const http::Response r = rig.get("/metrics");
    return r.body ? *r.body : std::string();
}

}  // namespace

TEST_CASE("a_grpc_export_is_stored_answered_with_trailers_and_shown_on_metrics") {
    test::DaemonRig rig;
    rig.open();
    const std::string before = metrics(rig);
    const std::string message = pb::request({pb::metric("grpc_g", pb::gauge, {pb::number_point({}, uint64_t(kT0), 7)})});
    const http::H2Response a = rig.grpc_routes->respond(grpc_request(message));
    CHECK(a.status == 200);
    CHECK(field(a.headers, "content-type") == "application/grpc");
    CHECK(field(a.headers, "grpc-accept-encoding") == "identity,gzip");
    CHECK(a.body == std::string(5, '\0'));  // an empty ExportMetricsServiceResponse
    CHECK(field(a.trailers, "grpc-status") == "0");
    CHECK(field(a.trailers, "grpc-message") == "(none)");
    // No tick in between: the call alone makes the next scrape render anew.
    CHECK(before.find("grpc_g") == std::string::npos);
    const std::string after = metrics(rig);
    CHECK(test::has_line(after, "grpc_g{job=\"checkout\",otel_scope_name=\"test.scope\",otel_scope_version=\"1.2\"} 7"));
    CHECK(test::has_line(after, "mmwatch_otlp_grpc_calls_total{outcome=\"ok\"} 1"));
    CHECK(test::has_line(after, "mmwatch_otlp_grpc_message_bytes_total " + std::to_string(message.size())));
}

TEST_CASE("stream_refusals_become_grpc_statuses_in_one_headers_frame") {
    test::DaemonRig rig;
    rig.open();
    const auto answer = [&](http::H2StreamRefusal why) {
        http::H2Request r = grpc_request("", why);
        r.body.clear();  // a refused stream's body is dropped
        return rig.grpc_routes->respond(r);
    };
    for (http::H2StreamRefusal why : {http::H2StreamRefusal::header_list_too_large, http::H2StreamRefusal::body_too_large}) {
        CAPTURE(http::h2_stream_refusal_name(why));
        const http::H2Response a = answer(why);
        CHECK(a.status == 200);
        CHECK(a.body.empty());  // Trailers-Only
        CHECK(field(a.trailers, "grpc-status") == "8");  // RESOURCE_EXHAUSTED: not retried
        CHECK(field(a.trailers, "grpc-status-details-bin") == "(none)");
    }
    for (http::H2StreamRefusal why : {http::H2StreamRefusal::memory_budget, http::H2StreamRefusal::connection_share}) {
        CAPTURE(http::h2_stream_refusal_name(why));
        const http::H2Response a = answer(why);
        CHECK(field(a.trailers, "grpc-status") == "14");  // UNAVAILABLE: retried, after RetryInfo's delay
        CHECK(field(a.trailers, "grpc-status-details-bin") != "(none)");
    }
    CHECK(rig.grpc_service.counters().calls[size_t(grpc::Outcome::resource_exhausted)] == 2);
    CHECK(rig.grpc_service.counters().calls[size_t(grpc::Outcome::unavailable)] == 2);
}

TEST_CASE("refused_credentials_are_unauthenticated_or_unavailable_while_busy") {
    test::DaemonRig rig;
    const http::H2Request r = grpc_request("");
    for (http::AuthResult why : {http::AuthResult::missing, http::AuthResult::wrong}) {
        const http::H2Response a = rig.grpc_routes->refuse_credentials(r, why);
        CHECK(a.status == 200);
        CHECK(a.body.empty());
        CHECK(field(a.trailers, "grpc-status") == "16");
        CHECK(field(a.trailers, "grpc-message").starts_with("unauthorized"));
    }
    const http::H2Response busy = rig.grpc_routes->refuse_credentials(r, http::AuthResult::busy);
    CHECK(field(busy.trailers, "grpc-status") == "14");
    CHECK(field(busy.trailers, "grpc-status-details-bin") != "(none)");
    // Nothing reached the service.
    CHECK(rig.otlp.store.series().empty());
}

TEST_CASE("a_request_that_is_not_grpc_gets_http_415_as_text") {
    test::DaemonRig rig;
    http::H2Request r;
    REQUIRE(r.add_field(":method", "POST", 1024));
    REQUIRE(r.add_field(":path", grpc::kExportPath, 1024));
    REQUIRE(r.add_field("content-type", "application/json", 1024));
    const http::H2Response a = rig.grpc_routes->respond(r);
    CHECK(a.status == 415);
    CHECK(field(a.headers, "content-type") == "text/plain; charset=utf-8");
    CHECK(a.body.find("application/grpc") != std::string::npos);
    CHECK(a.trailers.empty());
}

TEST_CASE("grpc_families_are_exported_at_zero_without_the_listener_and_reserved") {
    test::DaemonRig rig;
    rig.open();
    const std::string text = metrics(rig);
    for (std::string_view line :
         {"mmwatch_http2_connection_refusals_total{reason=\"rapid_reset\"} 0",
          "mmwatch_http2_connection_refusals_total{reason=\"continuation_flood\"} 0",
          "mmwatch_http2_stream_refusals_total{reason=\"header_list_too_large\"} 0",
          "mmwatch_http2_streams_total 0", "mmwatch_http2_requests_total 0",
          "mmwatch_http2_stream_resets_total{by=\"peer\"} 0", "mmwatch_http2_request_memory_bytes 0",
          "mmwatch_otlp_grpc_calls_total{outcome=\"unimplemented\"} 0",
          "mmwatch_otlp_grpc_message_errors_total{reason=\"too_large\"} 0",
          "mmwatch_otlp_grpc_decode_errors_total{reason=\"bad_gzip\"} 0", "mmwatch_otlp_grpc_message_bytes_total 0"}) {
        CAPTURE(line);
        CHECK(test::has_line(text, line));
    }
    CHECK(text.find("reason=\"none\"") == std::string::npos);
    for (const prom::Family& f : daemon::grpc_metric_families()) CHECK(daemon::self_metric_names().count(std::string(f.name)) == 1);
}

TEST_CASE("the_listener_s_counters_and_memory_are_shown_when_it_runs") {
    test::DaemonRig rig;
    http::H2Listener listener{*rig.grpc_routes, {}, {}, {1 << 20, 4096}};
    listener.counters.refusals[size_t(http::H2Refusal::ping_flood)] = 3;
    listener.counters.stream_refusals[size_t(http::H2StreamRefusal::memory_budget)] = 2;
    listener.counters.streams = 9;
    listener.counters.peer_resets = 4;
    rig.stats.grpc = &listener;
    rig.open();
    const std::string text = metrics(rig);
    CHECK(test::has_line(text, "mmwatch_http2_connection_refusals_total{reason=\"ping_flood\"} 3"));
    CHECK(test::has_line(text, "mmwatch_http2_stream_refusals_total{reason=\"memory_budget\"} 2"));
    CHECK(test::has_line(text, "mmwatch_http2_streams_total 9"));
    CHECK(test::has_line(text, "mmwatch_http2_stream_resets_total{by=\"peer\"} 4"));
    CHECK(test::has_line(text, "mmwatch_http2_request_memory_bytes 4096"));
}
