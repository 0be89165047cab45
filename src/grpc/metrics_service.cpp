#include "grpc/metrics_service.hpp"

#include "base/enum_names.hpp"
#include "otlp/export_response.hpp"
#include "otlp/inflate.hpp"

namespace mmwatch::grpc {

namespace {

MMWATCH_ENUM_TABLE(Outcome, kOutcomeNames) = {
    MMWATCH_ROW(ok), MMWATCH_ROW(partial), MMWATCH_ROW(invalid_argument),
    MMWATCH_ROW(resource_exhausted), MMWATCH_ROW(unavailable), MMWATCH_ROW(unimplemented),
    MMWATCH_ROW(unsupported_media_type), MMWATCH_ROW(method_not_allowed),
};
static_assert(base::rows_match(kOutcomeNames, kOutcomeCount));

// application/grpc or application/grpc+proto, parameters aside.
bool is_grpc_proto(std::string_view content_type) noexcept {
    std::string_view media = content_type.substr(0, content_type.find(';'));
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    return media == "application/grpc" || media == "application/grpc+proto";
}

}  // namespace

std::string_view outcome_name(Outcome o) noexcept { return base::name_of(kOutcomeNames, o); }

void reply_fields(Reply& reply, Fields& headers, Fields& trailers) {
    if (reply.http_status != 200) {
        headers.emplace_back("content-type", "text/plain; charset=utf-8");
        reply.body = reply.message + "\n";
        return;
    }
    headers.emplace_back("content-type", "application/grpc");
    headers.emplace_back("grpc-accept-encoding", "identity,gzip");
    append_status_trailers(trailers, reply.code, reply.message, reply.retry_after_ms);
}

Reply MetricsService::finish(Outcome outcome, Code code, std::string message, uint32_t retry_after_ms) {
    ++counters_.calls[size_t(outcome)];
    Reply r;
    r.http_status = outcome == Outcome::unsupported_media_type ? 415 : outcome == Outcome::method_not_allowed ? 405 : 200;
    r.code = code;
    r.message = std::move(message);
    r.retry_after_ms = retry_after_ms;
    return r;
}

Reply MetricsService::export_call(const Call& call, int64_t now_unix_nanos) {
    if (call.method != "POST") return finish(Outcome::method_not_allowed, Code::unimplemented, "gRPC calls are POST");
    if (!is_grpc_proto(call.content_type))
        return finish(Outcome::unsupported_media_type, Code::unknown,
                      "content-type must be application/grpc (this port serves gRPC only)");
    if (call.path != kExportPath) {
        std::string msg = "unknown method ";
        msg += call.path;
        msg += "; this server implements ";
        msg += kExportPath;
        return finish(Outcome::unimplemented, Code::unimplemented, std::move(msg));
    }
    switch (call.refused) {
        case Refused::none: break;
        case Refused::header_list_too_large:
            return finish(Outcome::resource_exhausted, Code::resource_exhausted,
                          "the header list is over SETTINGS_MAX_HEADER_LIST_SIZE");
        case Refused::message_too_large:
            return finish(Outcome::resource_exhausted, Code::resource_exhausted,
                          std::string(frame_error_message(FrameError::too_large)));
        case Refused::memory_budget:
            return finish(Outcome::unavailable, Code::unavailable, "request memory is in use, retry in a while",
                          kRetryAfterMs);
    }
    Reply reply;
    if (read_message(call, reply)) reply = store_message(now_unix_nanos);
    decoder_.release_scratch_over(base::kOtlpScratchKeepBytes, decoded_);
    return reply;
}

// The call's one message into the decoder's input, inflated if gzip;
// false with the reply to send when it cannot be had.
bool MetricsService::read_message(const Call& call, Reply& error) {
    const bool gzip = call.encoding == "gzip";
    if (!gzip && !call.encoding.empty() && call.encoding != "identity") {
        std::string msg = "grpc-encoding ";
        msg += call.encoding;
        msg += " is not supported: identity or gzip";
        error = finish(Outcome::unimplemented, Code::unimplemented, std::move(msg));
        return false;
    }
    Message m;
    FrameError fe = read_unary_message(call.body, max_message_bytes_, m);
    if (fe == FrameError::none && m.compressed && !gzip) fe = FrameError::compressed_without_encoding;
    if (fe != FrameError::none) {
        ++counters_.frame_errors[size_t(fe)];
        const bool too_large = fe == FrameError::too_large;
        error = finish(too_large ? Outcome::resource_exhausted : Outcome::invalid_argument,
                       too_large ? Code::resource_exhausted : Code::invalid_argument,
                       std::string(frame_error_message(fe)));
        return false;
    }
    std::string& input = decoder_.input();
    if (!m.compressed) {
        input.assign(m.bytes);
        return true;
    }
    switch (otlp::gunzip(m.bytes, input, max_message_bytes_)) {
        case otlp::InflateStatus::ok: return true;
        case otlp::InflateStatus::too_large:
            error = finish(Outcome::resource_exhausted, Code::resource_exhausted,
                           "the message is over --otlp-grpc-max-message-bytes after decompression");
            return false;
        case otlp::InflateStatus::corrupt: break;
    }
    ++counters_.gzip_errors;
    error = finish(Outcome::invalid_argument, Code::invalid_argument, "the message is not a complete gzip stream");
    return false;
}

Reply MetricsService::store_message(int64_t now_unix_nanos) {
    counters_.message_bytes += decoder_.input().size();
    const otlp::DecodeResult dr = decoder_.decode_input_protobuf(decoded_);
    if (dr.error != otlp::DecodeError::none) {
        ++counters_.decode_errors[size_t(dr.error)];
        return finish(Outcome::invalid_argument, Code::invalid_argument, otlp::undecodable_message(dr));
    }
    const otlp::IngestResult ir = store_.ingest(decoded_, now_unix_nanos);
    std::string response;
    otlp::append_export_response(response, ir);
    Reply r = finish(ir.rejected ? Outcome::partial : Outcome::ok, Code::ok, {});
    append_prefix(r.body, uint32_t(response.size()));
    r.body += response;
    return r;
}

}  // namespace mmwatch::grpc
