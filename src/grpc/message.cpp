#include "grpc/message.hpp"

#include "base/enum_names.hpp"

namespace mmwatch::grpc {

namespace {

MMWATCH_ENUM_TABLE(FrameError, kFrameErrors) = {
    MMWATCH_ROW(none, "no error"),
    MMWATCH_ROW(no_message, "the call carried no message"),
    MMWATCH_ROW(truncated_prefix, "the message prefix is shorter than 5 bytes"),
    MMWATCH_ROW(bad_flag, "the compressed flag of the message is neither 0 nor 1"),
    MMWATCH_ROW(too_large, "the message is over --otlp-grpc-max-message-bytes"),
    MMWATCH_ROW(truncated_message, "the message is shorter than its prefix says"),
    MMWATCH_ROW(trailing_bytes, "bytes follow the message of a unary call"),
    MMWATCH_ROW(compressed_without_encoding, "the message is flagged compressed but grpc-encoding is identity"),
};
static_assert(base::rows_match(kFrameErrors, kFrameErrorCount));

}  // namespace

std::string_view frame_error_name(FrameError e) noexcept { return base::name_of(kFrameErrors, e); }
std::string_view frame_error_message(FrameError e) noexcept { return base::message_of(kFrameErrors, e); }

FrameError read_unary_message(std::string_view body, uint64_t max_bytes, Message& out) noexcept {
    if (body.empty()) return FrameError::no_message;
    if (body.size() < base::kGrpcPrefixBytes) return FrameError::truncated_prefix;
    const auto b = [body](size_t i) { return uint32_t(uint8_t(body[i])); };
    if (b(0) > 1) return FrameError::bad_flag;
    const uint32_t length = b(1) << 24 | b(2) << 16 | b(3) << 8 | b(4);
    if (length > max_bytes) return FrameError::too_large;
    const size_t have = body.size() - base::kGrpcPrefixBytes;
    if (have < length) return FrameError::truncated_message;
    if (have > length) return FrameError::trailing_bytes;
    out.compressed = b(0) == 1;
    out.bytes = body.substr(base::kGrpcPrefixBytes);
    return FrameError::none;
}

void append_prefix(std::string& out, uint32_t length, bool compressed) {
    out += char(compressed ? 1 : 0);
    for (int shift = 24; shift >= 0; shift -= 8) out += char(length >> shift);
}

}  // namespace mmwatch::grpc
