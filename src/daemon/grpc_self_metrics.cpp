#include "daemon/grpc_self_metrics.hpp"

#include "daemon/metric_rows.hpp"
#include "otlp/decoded.hpp"

namespace mmwatch::daemon {

namespace {

using prom::Family;
using prom::Kind;

constexpr Family kRefusals{"mmwatch_http2_connection_refusals_total", Kind::counter,
                           "HTTP/2 connections refused (GOAWAY, then closed), by reason (docs/grpc.md)."};
constexpr Family kStreamRefusals{"mmwatch_http2_stream_refusals_total", Kind::counter,
                                 "HTTP/2 requests refused at their stream and answered with a gRPC status, by reason."};
constexpr Family kStreams{"mmwatch_http2_streams_total", Kind::counter, "HTTP/2 streams begun by clients."};
constexpr Family kRequests{"mmwatch_http2_requests_total", Kind::counter,
                           "HTTP/2 requests received whole and handed to the gRPC service."};
constexpr Family kResets{"mmwatch_http2_stream_resets_total", Kind::counter,
                         "HTTP/2 streams reset, by whom: the peer (RST_STREAM), refused_stream (past "
                         "SETTINGS_MAX_CONCURRENT_STREAMS) or malformed (reset by the server)."};
constexpr Family kMemory{"mmwatch_http2_request_memory_bytes", Kind::gauge,
                         "Request body bytes the gRPC listener's connections hold (of --request-memory)."};
constexpr Family kCalls{"mmwatch_otlp_grpc_calls_total", Kind::counter,
                        "OTLP gRPC calls (MetricsService/Export and others), by outcome."};
constexpr Family kMessageErrors{"mmwatch_otlp_grpc_message_errors_total", Kind::counter,
                                "gRPC request bodies that were not one well-formed message, by reason."};
constexpr Family kDecodeErrors{"mmwatch_otlp_grpc_decode_errors_total", Kind::counter,
                               "gRPC messages refused with INVALID_ARGUMENT, by decode error."};
constexpr Family kMessageBytes{"mmwatch_otlp_grpc_message_bytes_total", Kind::counter,
                               "gRPC message bytes decoded, after decompression."};

void render_http2(const http::H2Counters& c, uint64_t memory_bytes, prom::Writer& out) {
    enum_rows(out, kRefusals, "reason", http::h2_refusal_name, c.refusals, 1);
    enum_rows(out, kStreamRefusals, "reason", http::h2_stream_refusal_name, c.stream_refusals, 1);
    prom::single(out, kStreams, double(c.streams));
    prom::single(out, kRequests, double(c.requests));
    prom::head(out, kResets);
    row(out, "by", "peer", c.peer_resets);
    row(out, "by", "refused_stream", c.refused_streams);
    row(out, "by", "malformed", c.stream_errors);
    prom::single(out, kMemory, double(memory_bytes));
}

void render_service(const grpc::ServiceCounters& c, prom::Writer& out) {
    enum_rows(out, kCalls, "outcome", grpc::outcome_name, c.calls);
    enum_rows(out, kMessageErrors, "reason", grpc::frame_error_name, c.frame_errors, 1);
    enum_rows(out, kDecodeErrors, "reason", otlp::decode_error_name, c.decode_errors, 1);
    row(out, "reason", "bad_gzip", c.gzip_errors);
    prom::single(out, kMessageBytes, double(c.message_bytes));
}

}  // namespace

const std::vector<Family>& grpc_metric_families() {
    static const std::vector<Family> all = {kRefusals, kStreamRefusals, kStreams, kRequests, kResets, kMemory,
                                            kCalls, kMessageErrors, kDecodeErrors, kMessageBytes};
    return all;
}

void render_grpc_metrics(const http::H2Listener* listener, const grpc::ServiceCounters& service, prom::Writer& out) {
    const http::H2Counters none;
    render_http2(listener ? listener->counters : none, listener ? listener->budget.used : 0, out);
    render_service(service, out);
}

}  // namespace mmwatch::daemon
