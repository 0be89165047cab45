// gRPC status codes, the trailers that carry them and the metadata encodings
// they need: grpc-message percent-encoded, grpc-status-details-bin as a
// google.rpc.Status (with RetryInfo) in unpadded base64. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mmwatch::grpc {

// The codes of the gRPC specification (statuscodes.md), by value.
enum class Code : uint8_t {
    ok = 0,
    cancelled = 1,
    unknown = 2,
    invalid_argument = 3,
    deadline_exceeded = 4,
    not_found = 5,
    already_exists = 6,
    permission_denied = 7,
    resource_exhausted = 8,
    failed_precondition = 9,
    aborted = 10,
    out_of_range = 11,
    unimplemented = 12,
    internal = 13,
    unavailable = 14,
    data_loss = 15,
    unauthenticated = 16,
};
inline constexpr size_t kCodeCount = 17;
// "OK", "INVALID_ARGUMENT", ... as the specification spells them.
[[nodiscard]] std::string_view code_name(Code c) noexcept;

using Fields = std::vector<std::pair<std::string, std::string>>;

// Appends `message` as grpc-message carries it: bytes outside 0x20..0x7E,
// and '%', as %XX (upper-case hex), so any text survives the header.
void append_percent_encoded(std::string& out, std::string_view message);

// The google.rpc.Status protobuf for grpc-status-details-bin: code,
// message and, when retry_after_ms > 0, a google.rpc.RetryInfo detail.
[[nodiscard]] std::string status_details(Code code, std::string_view message, uint32_t retry_after_ms);

// The trailers of a call's end: grpc-status, grpc-message (when not empty)
// and grpc-status-details-bin (when a retry delay is given).
void append_status_trailers(Fields& out, Code code, std::string_view message, uint32_t retry_after_ms);

}  // namespace mmwatch::grpc
