#include "grpc/status.hpp"

#include <protozero/pbf_writer.hpp>

#include "base/base64.hpp"
#include "base/enum_names.hpp"

namespace mmwatch::grpc {

namespace {

// Spelled as the specification does, so the rows name their values in full.
constexpr base::EnumRow<Code> kCodeNames[] = {
    {Code::ok, "OK"},
    {Code::cancelled, "CANCELLED"},
    {Code::unknown, "UNKNOWN"},
    {Code::invalid_argument, "INVALID_ARGUMENT"},
    {Code::deadline_exceeded, "DEADLINE_EXCEEDED"},
    {Code::not_found, "NOT_FOUND"},
    {Code::already_exists, "ALREADY_EXISTS"},
    {Code::permission_denied, "PERMISSION_DENIED"},
    {Code::resource_exhausted, "RESOURCE_EXHAUSTED"},
    {Code::failed_precondition, "FAILED_PRECONDITION"},
    {Code::aborted, "ABORTED"},
    {Code::out_of_range, "OUT_OF_RANGE"},
    {Code::unimplemented, "UNIMPLEMENTED"},
    {Code::internal, "INTERNAL"},
    {Code::unavailable, "UNAVAILABLE"},
    {Code::data_loss, "DATA_LOSS"},
    {Code::unauthenticated, "UNAUTHENTICATED"},
};
static_assert(base::rows_match(kCodeNames, kCodeCount));

constexpr std::string_view kRetryInfoType = "type.googleapis.com/google.rpc.RetryInfo";

}  // namespace

std::string_view code_name(Code c) noexcept { return base::name_of(kCodeNames, c); }

void append_percent_encoded(std::string& out, std::string_view message) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char ch : message) {
        const auto b = uint8_t(ch);
        if (b >= 0x20 && b <= 0x7e && b != '%') {
            out += ch;
            continue;
        }
        out += '%';
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
}

std::string status_details(Code code, std::string_view message, uint32_t retry_after_ms) {
    std::string out;
    protozero::pbf_writer status(out);
    status.add_int32(1, int32_t(code));
    if (!message.empty()) status.add_string(2, message.data(), message.size());
    if (retry_after_ms > 0) {
        // Any { 1: type_url, 2: RetryInfo { 1: retry_delay Duration { 1: seconds, 2: nanos } } }
        std::string retry;
        {
            protozero::pbf_writer info(retry);
            protozero::pbf_writer delay(info, 1);
            delay.add_int64(1, int64_t(retry_after_ms / 1000));
            if (retry_after_ms % 1000) delay.add_int32(2, int32_t(retry_after_ms % 1000 * 1'000'000));
        }
        protozero::pbf_writer any(status, 3);
        any.add_string(1, kRetryInfoType.data(), kRetryInfoType.size());
        any.add_bytes(2, retry.data(), retry.size());
    }
    return out;
}

void append_status_trailers(Fields& out, Code code, std::string_view message, uint32_t retry_after_ms) {
    out.emplace_back("grpc-status", std::to_string(int(code)));
    if (!message.empty()) {
        std::string encoded;
        append_percent_encoded(encoded, message);
        out.emplace_back("grpc-message", std::move(encoded));
    }
    if (retry_after_ms > 0) {
        std::string b64;
        base::base64::append(b64, status_details(code, message, retry_after_ms), false);
        out.emplace_back("grpc-status-details-bin", std::move(b64));
    }
}

}  // namespace mmwatch::grpc
