#include <doctest/doctest.h>

#include <string>

#include <protozero/pbf_reader.hpp>

#include "grpc/metrics_service.hpp"
#include "http/h2_session.hpp"
#include "support/h2_client.hpp"
#include "support/otlp_proto.hpp"
#include "support/otlp_test_util.hpp"

using namespace mmwatch;
using namespace mmwatch::grpc;
namespace pb = mmwatch::test::pb;

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;
constexpr uint64_t kMaxMessage = 64 * 1024;

std::string framed(std::string_view message, bool compressed = false) {
    std::string b;
    append_prefix(b, uint32_t(message.size()), compressed);
    b.append(message);
    return b;
}

std::string gauge_request(std::string_view name = "g", double v = 1) {
    return pb::request({pb::metric(name, pb::gauge, {pb::number_point({}, uint64_t(kT0), v)})});
}

struct Rig {
    otlp::Store store{otlp::StoreLimits{}};
    MetricsService service{store, kMaxMessage};

    Reply call(std::string body, std::string_view encoding = {}, std::string_view path = kExportPath,
               std::string_view content_type = "application/grpc", std::string_view method = "POST") {
        Call c;
        c.method = method;
        c.path = path;
        c.content_type = content_type;
        c.encoding = encoding;
        c.body = body;
        return service.export_call(c, kT0);
    }
    uint64_t calls(Outcome o) const { return service.counters().calls[size_t(o)]; }
};

}  // namespace

TEST_CASE("export_of_valid_points_is_ok_with_an_empty_response_message") {
    Rig rig;
    const Reply r = rig.call(framed(gauge_request()));
    CHECK(r.http_status == 200);
    CHECK(r.code == Code::ok);
    CHECK(r.body == std::string(5, '\0'));  // an empty ExportMetricsServiceResponse, prefixed
    CHECK(rig.store.series().size() == 1);
    CHECK(rig.calls(Outcome::ok) == 1);
    CHECK(rig.service.counters().message_bytes == gauge_request().size());
}

TEST_CASE("gzip_message_is_inflated_then_stored") {
    Rig rig;
    const Reply r = rig.call(framed(test::gzip(gauge_request()), true), "gzip");
    CHECK(r.code == Code::ok);
    CHECK(rig.store.series().size() == 1);
    // grpc-encoding gzip with an uncompressed message is fine too.
    CHECK(rig.call(framed(gauge_request("h")), "gzip").code == Code::ok);
}

TEST_CASE("refused_points_are_ok_with_partial_success") {
    Rig rig;
    // A sum without temporality is refused (unspecified_temporality).
    const std::string req = pb::request({pb::metric("s", pb::sum, {pb::number_point({}, uint64_t(kT0), 1)}, 0)});
    const Reply r = rig.call(framed(req));
    CHECK(r.code == Code::ok);
    CHECK(rig.calls(Outcome::partial) == 1);
    REQUIRE(r.body.size() > 5);
    const std::string answer = r.body.substr(5);
    protozero::pbf_reader resp(answer);
    REQUIRE(resp.next(1));
    protozero::pbf_reader partial = resp.get_message();
    REQUIRE(partial.next(1));
    CHECK(partial.get_int64() == 1);
    REQUIRE(partial.next(2));
    CHECK(partial.get_string().starts_with("unspecified_temporality"));
}

TEST_CASE("malformed_messages_are_invalid_argument_and_counted_by_reason") {
    Rig rig;
    Reply r = rig.call(framed("\x0a\xff"));  // a length past the end
    CHECK(r.code == Code::invalid_argument);
    CHECK(r.message.starts_with("undecodable ExportMetricsServiceRequest: malformed_protobuf"));
    CHECK(rig.service.counters().decode_errors[size_t(otlp::DecodeError::malformed_protobuf)] == 1);

    CHECK(rig.call("").code == Code::invalid_argument);
    CHECK(rig.call(framed("ab").substr(0, 6)).code == Code::invalid_argument);
    CHECK(rig.call(framed("a") + framed("b")).code == Code::invalid_argument);
    CHECK(rig.call(framed(gauge_request(), true)).code == Code::invalid_argument);  // flagged, identity
    CHECK(rig.call(framed("not gzip", true), "gzip").code == Code::invalid_argument);
    const auto& c = rig.service.counters();
    CHECK(c.frame_errors[size_t(FrameError::no_message)] == 1);
    CHECK(c.frame_errors[size_t(FrameError::truncated_message)] == 1);
    CHECK(c.frame_errors[size_t(FrameError::trailing_bytes)] == 1);
    CHECK(c.frame_errors[size_t(FrameError::compressed_without_encoding)] == 1);
    CHECK(c.gzip_errors == 1);
    CHECK(rig.calls(Outcome::invalid_argument) == 6);
    CHECK(rig.store.series().empty());
}

TEST_CASE("over_the_message_cap_is_resource_exhausted_before_or_after_gzip") {
    Rig rig;
    CHECK(rig.call(framed(std::string(kMaxMessage + 1, 'x'))).code == Code::resource_exhausted);
    // A gzip bomb: small on the wire, past the cap inflated.
    const Reply r = rig.call(framed(test::gzip(std::string(kMaxMessage + 1, '\0')), true), "gzip");
    CHECK(r.code == Code::resource_exhausted);
    CHECK(r.message.find("after decompression") != std::string::npos);
    CHECK(rig.calls(Outcome::resource_exhausted) == 2);
}

TEST_CASE("unsupported_encoding_is_unimplemented_with_grpc_accept_encoding") {
    Rig rig;
    Reply r = rig.call(framed(gauge_request()), "snappy");
    CHECK(r.code == Code::unimplemented);
    CHECK(r.message == "grpc-encoding snappy is not supported: identity or gzip");
    Fields headers, trailers;
    reply_fields(r, headers, trailers);
    CHECK(headers == Fields{{"content-type", "application/grpc"}, {"grpc-accept-encoding", "identity,gzip"}});
    CHECK(trailers[0] == std::pair<std::string, std::string>{"grpc-status", "12"});
    CHECK(r.body.empty());  // Trailers-Only
}

TEST_CASE("unknown_method_is_unimplemented") {
    Rig rig;
    const Reply r = rig.call(framed(gauge_request()), {}, "/opentelemetry.proto.collector.trace.v1.TraceService/Export");
    CHECK(r.code == Code::unimplemented);
    CHECK(r.message.find("TraceService") != std::string::npos);
    CHECK(rig.calls(Outcome::unimplemented) == 1);
}

TEST_CASE("not_grpc_content_type_is_http_415_and_not_post_is_405") {
    Rig rig;
    Reply r = rig.call(framed(gauge_request()), {}, kExportPath, "application/json");
    CHECK(r.http_status == 415);
    Fields headers, trailers;
    reply_fields(r, headers, trailers);
    CHECK(trailers.empty());
    CHECK(r.body.starts_with("content-type must be application/grpc"));
    CHECK(rig.call(framed(gauge_request()), {}, kExportPath, "application/grpc+proto").code == Code::ok);
    CHECK(rig.call(framed(gauge_request()), {}, kExportPath, "application/grpc; charset=x").code == Code::ok);
    CHECK(rig.call(framed(gauge_request()), {}, kExportPath, "application/grpc+json").http_status == 415);
    CHECK(rig.call("", {}, kExportPath, "application/grpc", "GET").http_status == 405);
}

TEST_CASE("transport_refusals_map_to_their_status") {
    Rig rig;
    Call c;
    c.method = "POST";
    c.path = kExportPath;
    c.content_type = "application/grpc";
    c.refused = Refused::memory_budget;
    Reply r = rig.service.export_call(c, kT0);
    CHECK(r.code == Code::unavailable);
    CHECK(r.retry_after_ms == kRetryAfterMs);
    Fields headers, trailers;
    reply_fields(r, headers, trailers);
    CHECK(trailers.size() == 3);
    CHECK(trailers[2].first == "grpc-status-details-bin");
    c.refused = Refused::message_too_large;
    CHECK(rig.service.export_call(c, kT0).code == Code::resource_exhausted);
    c.refused = Refused::header_list_too_large;
    CHECK(rig.service.export_call(c, kT0).code == Code::resource_exhausted);
    CHECK(rig.calls(Outcome::unavailable) == 1);
    CHECK(rig.calls(Outcome::resource_exhausted) == 2);
}

TEST_CASE("scratch_is_given_back_after_a_large_message") {
    otlp::Store store{otlp::StoreLimits{}};
    MetricsService service(store, 8 * 1024 * 1024);
    std::vector<std::string> metrics;
    for (int i = 0; i < 50'000; ++i) metrics.push_back(pb::metric("m" + std::to_string(i), pb::gauge,
                                                                  {pb::number_point({}, uint64_t(kT0), i)}));
    const std::string big = framed(pb::request(metrics));
    REQUIRE(big.size() > base::kOtlpScratchKeepBytes);
    Call c{"POST", kExportPath, "application/grpc", {}, big, Refused::none};
    CHECK(service.export_call(c, kT0).code == Code::ok);
    CHECK(service.scratch_bytes() <= base::kOtlpScratchKeepBytes);
}

TEST_CASE("a_call_over_an_h2_session_from_an_nghttp2_client_is_served") {
    // The HTTP/2 session and the service as the daemon joins them.
    otlp::Store store{otlp::StoreLimits{}};
    MetricsService service(store, kMaxMessage);
    http::H2Counters counters;
    http::H2Budget budget;
    http::H2Session session({}, counters, budget, 0);
    test::H2Client client;
    test::Fields fields = test::grpc_request_fields();
    fields.emplace_back("grpc-encoding", "gzip");
    const int32_t id = client.request(fields, framed(test::gzip(gauge_request()), true));
    client.request(test::grpc_request_fields("/nope"), framed(""));
    for (int turn = 0; turn < 5; ++turn) {
        session.receive(client.output(), 0);
        while (http::H2Request* req = session.next_request()) {
            const Call c{req->header(":method"), req->header(":path"), req->header("content-type"),
                         req->header("grpc-encoding"), req->body, Refused::none};
            Reply reply = service.export_call(c, kT0);
            http::H2Response h;
            reply_fields(reply, h.headers, h.trailers);
            h.status = reply.http_status;
            h.body = std::move(reply.body);
            session.respond(req->stream_id, std::move(h));
        }
        std::string out;
        session.produce(out, SIZE_MAX);
        client.input(out);
    }
    CHECK(store.series().size() == 1);
    const auto& ok = client.replies[id];
    CHECK(ok.header(":status") == "200");
    CHECK(ok.header("content-type") == "application/grpc");
    CHECK(ok.body == std::string(5, '\0'));
    CHECK(ok.trailer("grpc-status") == "0");
    const auto& nope = client.replies[id + 2];
    CHECK(nope.header("grpc-status") == "12");
    CHECK(nope.header("grpc-message").starts_with("unknown method /nope"));
}
