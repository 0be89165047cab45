// gRPC's Length-Prefixed-Message: a compressed flag byte, a 4-byte
// big-endian length, then that many bytes. A unary call's request body is
// exactly one of them. Pure, no allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/limits.hpp"

namespace mmwatch::grpc {

enum class FrameError : uint8_t {
    none,
    no_message,         // an empty body: a unary call carries one message
    truncated_prefix,   // fewer than 5 bytes
    bad_flag,           // the compressed flag is neither 0 nor 1
    too_large,          // the prefix announces more than the message cap
    truncated_message,  // fewer bytes than the prefix announces
    trailing_bytes,     // more: a second message on a unary call
    compressed_without_encoding,  // flag 1 with grpc-encoding identity (found by the caller)
};
inline constexpr size_t kFrameErrorCount = 8;
[[nodiscard]] std::string_view frame_error_name(FrameError e) noexcept;
[[nodiscard]] std::string_view frame_error_message(FrameError e) noexcept;

struct Message {
    bool compressed = false;
    std::string_view bytes;  // a view into the body
};

// Reads the one message of a unary call's whole body. A length over
// `max_bytes` is too_large before anything else is looked at.
[[nodiscard]] FrameError read_unary_message(std::string_view body, uint64_t max_bytes, Message& out) noexcept;

// Appends a prefix for a message of `length` bytes.
void append_prefix(std::string& out, uint32_t length, bool compressed = false);

}  // namespace mmwatch::grpc
