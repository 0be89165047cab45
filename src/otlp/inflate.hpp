// gzip decompression for OTLP bodies with a cap on the output, so a small
// body that inflates to gigabytes (a gzip bomb) stops at the cap: 413.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mmwatch::otlp {

enum class InflateStatus : uint8_t { ok, too_large, corrupt };

// Inflates the gzip stream `in` into `out` (replacing its contents). Work is
// bounded by in.size() + max_out_bytes.
[[nodiscard]] InflateStatus gunzip(std::string_view in, std::string& out, uint64_t max_out_bytes);

}  // namespace mmwatch::otlp
