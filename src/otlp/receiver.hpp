// The receiver of POST /v1/metrics: it owns the decoder, its reusable
// scratch and its counters, and stores what decodes. The daemon's router
// calls it; nothing here touches a socket or the loop.
#pragma once

#include <cstdint>

#include "http/request.hpp"
#include "http/response.hpp"
#include "otlp/decoder.hpp"
#include "otlp/store.hpp"

namespace mmwatch::otlp {

// Outcome of one POST /v1/metrics.
enum class ExportResult : uint8_t { ok, partial, bad_request, too_large, unsupported_media_type, method_not_allowed };
inline constexpr size_t kExportResultCount = 6;
[[nodiscard]] std::string_view export_result_name(ExportResult r) noexcept;

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
    // over max_body_bytes (before or after gzip); 415 for another media type.
    [[nodiscard]] http::Response handle_export(const http::Request& req, int64_t now_unix_nanos);

    [[nodiscard]] const ReceiverCounters& counters() const noexcept { return counters_; }
    // The decoder's input buffer (tests check its bound).
    [[nodiscard]] const std::string& input() const noexcept { return decoder_.input(); }
    // Scratch held between requests (bounded by kOtlpScratchKeepBytes).
    [[nodiscard]] size_t scratch_bytes() const noexcept {
        return decoder_.scratch_bytes(decoded_) + body_scratch_.capacity();
    }

private:
    http::Response counted(ExportResult result, http::Response r);
    bool read_body(const http::Request& req, http::Response& error);
    void release_scratch();

    Store& store_;
    uint64_t max_body_bytes_;
    ReceiverCounters counters_;
    // Scratch reused by every request, so steady-state ingest does not allocate.
    Decoder decoder_;
    DecodedRequest decoded_;
    std::string body_scratch_;  // a chunked body, joined
    bool protobuf_ = false;     // the request being answered is protobuf: so is the answer
};

}  // namespace mmwatch::otlp
