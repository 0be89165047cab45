// The OTLP MetricsService over gRPC: the unary method
// opentelemetry.proto.collector.metrics.v1.MetricsService/Export, served
// with the same protobuf decoder and store as OTLP/HTTP. A call's transport
// (the HTTP/2 session, wired in daemon/) hands over its headers and whole
// body; the answer is a Reply, turned into HTTP/2 headers and trailers by
// reply_fields(). Pure: no socket, no loop.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "grpc/message.hpp"
#include "grpc/status.hpp"
#include "otlp/decoder.hpp"
#include "otlp/store.hpp"

namespace mmwatch::grpc {

inline constexpr std::string_view kExportPath = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
// The delay RetryInfo asks for when the server is too busy: what the HTTP
// listeners' Retry-After says.
inline constexpr uint32_t kRetryAfterMs = 1000;

// What the transport refused before the call was whole.
enum class Refused : uint8_t {
    none,
    header_list_too_large,  // RESOURCE_EXHAUSTED
    message_too_large,      // RESOURCE_EXHAUSTED: the body passed the message cap
    memory_budget,          // UNAVAILABLE with RetryInfo: request memory is full now
};

struct Call {
    std::string_view method;        // :method
    std::string_view path;          // :path
    std::string_view content_type;
    std::string_view encoding;      // grpc-encoding
    std::string_view body;          // the request's DATA, message prefix included
    Refused refused = Refused::none;
};

// How a call ended, as counted (mmwatch_otlp_grpc_calls_total{outcome}).
enum class Outcome : uint8_t {
    ok,
    partial,                 // OK with partial_success: some points refused
    invalid_argument,        // not one well-formed message, gzip or protobuf that does not decode
    resource_exhausted,      // over the message cap or the header list cap (not retryable)
    unavailable,             // over a memory budget (retryable, RetryInfo)
    unimplemented,           // another method, or a grpc-encoding other than identity and gzip
    unsupported_media_type,  // HTTP 415: not application/grpc
    method_not_allowed,      // HTTP 405: not POST
};
inline constexpr size_t kOutcomeCount = 8;
[[nodiscard]] std::string_view outcome_name(Outcome o) noexcept;

struct ServiceCounters {
    uint64_t calls[kOutcomeCount] = {};
    uint64_t frame_errors[kFrameErrorCount] = {};
    uint64_t decode_errors[otlp::kDecodeErrorCount] = {};
    uint64_t gzip_errors = 0;
    uint64_t message_bytes = 0;  // after decompression
};

struct Reply {
    int http_status = 200;      // 415 and 405 answer a request that is not a gRPC call
    Code code = Code::ok;
    std::string message;        // grpc-message, or the text of a 415/405
    std::string body;           // OK: the ExportMetricsServiceResponse with its prefix
    uint32_t retry_after_ms = 0;
};

// The HTTP/2 headers and trailers of a reply (an error has an empty body:
// the session sends headers and trailers in one frame, Trailers-Only).
// `body` becomes the text of a 415/405.
void reply_fields(Reply& reply, Fields& headers, Fields& trailers);

class MetricsService {
public:
    MetricsService(otlp::Store& store, uint64_t max_message_bytes)
        : store_(store), max_message_bytes_(max_message_bytes) {}

    [[nodiscard]] Reply export_call(const Call& call, int64_t now_unix_nanos);

    [[nodiscard]] const ServiceCounters& counters() const noexcept { return counters_; }
    // Scratch held between calls (bounded by kOtlpScratchKeepBytes).
    [[nodiscard]] size_t scratch_bytes() const noexcept { return decoder_.scratch_bytes(decoded_); }

private:
    Reply finish(Outcome outcome, Code code, std::string message, uint32_t retry_after_ms = 0);
    bool read_message(const Call& call, Reply& error);
    Reply store_message(int64_t now_unix_nanos);

    otlp::Store& store_;
    uint64_t max_message_bytes_;
    ServiceCounters counters_;
    // Reused by every call, so steady-state ingest does not allocate.
    otlp::Decoder decoder_;
    otlp::DecodedRequest decoded_;
};

}  // namespace mmwatch::grpc
