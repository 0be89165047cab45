#include "otlp/receiver.hpp"

#include <iterator>

#include <protozero/pbf_writer.hpp>

#include "base/enum_names.hpp"
#include "base/json.hpp"
#include "base/strings.hpp"
#include "otlp/export_response.hpp"
#include "otlp/inflate.hpp"

namespace mmwatch::otlp {

namespace {

// google.rpc.Code values used in the Status bodies OTLP/HTTP asks for.
constexpr int kGrpcInvalidArgument = 3;
constexpr int kGrpcResourceExhausted = 8;
constexpr int kGrpcUnimplemented = 12;

constexpr std::string_view kProtobuf = "application/x-protobuf";

Reply protobuf_reply(int status, std::string body) { return {status, kProtobuf, std::move(body), {}}; }

// google.rpc.Status, the error body OTLP/HTTP asks for, in the request's
// encoding: {"code":..,"message":..} or the protobuf message (1: code,
// 2: message).
Reply status_body(bool protobuf, int http_status, int grpc_code, std::string_view message) {
    if (protobuf) {
        std::string body;
        protozero::pbf_writer w(body);
        w.add_int32(1, grpc_code);
        w.add_string(2, message.data(), message.size());
        return protobuf_reply(http_status, std::move(body));
    }
    std::string body = "{\"code\":";
    base::json::append_number(body, grpc_code);
    body += ",\"message\":";
    base::json::append_string(body, message);
    body += "}";
    return Reply::json(http_status, std::move(body));
}

Reply status_json(int http_status, int grpc_code, std::string_view message) {
    return status_body(false, http_status, grpc_code, message);
}

MMWATCH_ENUM_TABLE(ExportResult, kResultNames) = {
    MMWATCH_ROW(ok), MMWATCH_ROW(partial), MMWATCH_ROW(bad_request),
    MMWATCH_ROW(too_large), MMWATCH_ROW(unsupported_media_type),
    MMWATCH_ROW(method_not_allowed),
};
static_assert(base::rows_match(kResultNames, kExportResultCount));

}  // namespace

std::string_view export_result_name(ExportResult r) noexcept { return base::name_of(kResultNames, r); }

Reply Receiver::counted(ExportResult result, Reply r) {
    ++counters_.requests[size_t(result)];
    return r;
}

// Reads the body into the decoder's input buffer, inflating gzip; returns
// false with the reply to send when it cannot.
bool Receiver::read_body(const ExportRequest& req, Reply& error) {
    const uint64_t max_body_bytes = max_body_bytes_;
    std::string& input = decoder_.input();
    if (req.body.size() > max_body_bytes) {
        error = counted(ExportResult::too_large,
                        status_body(protobuf_, 413, kGrpcResourceExhausted, "body is over --max-body-bytes"));
        return false;
    }
    switch (req.coding) {
    case base::ContentCoding::identity: input.assign(req.body.data(), req.body.size()); return true;
    case base::ContentCoding::gzip: break;
    case base::ContentCoding::unsupported:
        error = counted(ExportResult::unsupported_media_type,
                        status_body(protobuf_, 415, kGrpcUnimplemented, "Content-Encoding must be gzip or identity"));
        return false;
    }
    switch (gunzip(req.body, input, max_body_bytes)) {
    case InflateStatus::ok: return true;
    case InflateStatus::too_large:
        error = counted(ExportResult::too_large,
                        status_body(protobuf_, 413, kGrpcResourceExhausted, "body is over --max-body-bytes after decompression"));
        return false;
    case InflateStatus::corrupt: break;
    }
    ++counters_.gzip_errors;
    error = counted(ExportResult::bad_request,
                    status_body(protobuf_, 400, kGrpcInvalidArgument, "body is not a complete gzip stream"));
    return false;
}

void Receiver::release_scratch() { decoder_.release_scratch_over(base::kOtlpScratchKeepBytes, decoded_); }

Reply Receiver::handle_export(const ExportRequest& req, int64_t now_unix_nanos) {
    if (req.method != "POST") {
        Reply r = status_json(405, kGrpcUnimplemented, "use POST");
        r.allow = "POST";
        return counted(ExportResult::method_not_allowed, std::move(r));
    }
    protobuf_ = base::iequals(req.media_type, kProtobuf);
    if (!protobuf_ && !base::iequals(req.media_type, "application/json"))
        return counted(ExportResult::unsupported_media_type,
                       status_json(415, kGrpcUnimplemented,
                                   "Content-Type must be application/x-protobuf or application/json"));
    Reply error;
    if (!read_body(req, error)) {
        release_scratch();
        return error;
    }
    counters_.body_bytes += decoder_.input().size();

    const DecodeResult dr = protobuf_ ? decoder_.decode_input_protobuf(decoded_) : decoder_.decode_input(decoded_);
    if (dr.error != DecodeError::none) {
        ++counters_.decode_errors[size_t(dr.error)];
        release_scratch();
        return counted(ExportResult::bad_request,
                       status_body(protobuf_, 400, kGrpcInvalidArgument, undecodable_message(dr)));
    }
    const IngestResult ir = store_.ingest(decoded_, now_unix_nanos);
    release_scratch();
    const ExportResult result = ir.rejected ? ExportResult::partial : ExportResult::ok;
    if (protobuf_) {
        std::string body;
        append_export_response(body, ir);  // empty when every point was stored
        return counted(result, protobuf_reply(200, std::move(body)));
    }
    if (ir.rejected == 0) return counted(result, Reply::json(200, "{}"));
    std::string body = "{\"partialSuccess\":{\"rejectedDataPoints\":\"";
    base::json::append_number(body, ir.rejected);
    body += "\",\"errorMessage\":";
    base::json::append_string(body, partial_success_message(ir));
    body += "}}";
    return counted(ExportResult::partial, Reply::json(200, std::move(body)));
}

}  // namespace mmwatch::otlp
