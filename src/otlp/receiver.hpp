// The receiver of POST /v1/metrics: it owns the decoder, its reusable
// scratch and its counters, and stores what decodes. It gets the body as
// HTTP delivered it (de-chunked, with its declared media type and content
// coding, parsed by http/) and answers a Reply; the daemon's router does
// the HTTP. Nothing here touches a socket or the loop.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/content_coding.hpp"
#include "otlp/decoder.hpp"
#include "otlp/reply.hpp"
#include "otlp/store.hpp"

namespace mmwatch::otlp {

// Outcome of one POST /v1/metrics.
enum class ExportResult : uint8_t { ok, partial, bad_request, too_large, unsupported_media_type, method_not_allowed };
inline constexpr size_t kExportResultCount = 6;
[[nodiscard]] std::string_view export_result_name(ExportResult r) noexcept;

// One export request as its transport framed it.
struct ExportRequest {
    std::string_view method;      // POST is the only one taken
    std::string_view media_type;  // without parameters: application/x-protobuf or application/json
    base::ContentCoding coding = base::ContentCoding::identity;
    std::string_view body;        // the bytes as sent (de-chunked, still coded)
};

struct ReceiverCounters {
    uint64_t requests[kExportResultCount] = {};
    uint64_t decode_errors[kDecodeErrorCount] = {};
    uint64_t gzip_errors = 0;
    uint64_t body_bytes = 0;  // after decompression
};

class Receiver {
public:
    Receiver(Store& store, uint64_t max_body_bytes) : store_(store), max_body_bytes_(max_body_bytes) {}

    // POST /v1/metrics (OTLP/HTTP, protobuf or JSON), answered in the
    // request's encoding: 200 with an empty ExportMetricsServiceResponse
    // when every point was stored, with partial_success when some were
    // refused; 400 with a google.rpc.Status for an undecodable body; 413
    // over max_body_bytes (before or after gzip); 415 for another media type
    // or content coding; 405 for another method.
    [[nodiscard]] Reply handle_export(const ExportRequest& req, int64_t now_unix_nanos);

    [[nodiscard]] const ReceiverCounters& counters() const noexcept { return counters_; }
    // The decoder's input buffer (tests check its bound).
    [[nodiscard]] const std::string& input() const noexcept { return decoder_.input(); }
    // Scratch held between requests (bounded by kOtlpScratchKeepBytes).
    [[nodiscard]] size_t scratch_bytes() const noexcept { return decoder_.scratch_bytes(decoded_); }

private:
    Reply counted(ExportResult result, Reply r);
    bool read_body(const ExportRequest& req, Reply& error);
    void release_scratch();

    Store& store_;
    uint64_t max_body_bytes_;
    ReceiverCounters counters_;
    // Scratch reused by every request, so steady-state ingest does not allocate.
    Decoder decoder_;
    DecodedRequest decoded_;
    bool protobuf_ = false;     // the request being answered is protobuf: so is the answer
};

}  // namespace mmwatch::otlp
