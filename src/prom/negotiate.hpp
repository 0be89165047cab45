// Content negotiation for /metrics: which exposition format an Accept
// header asks for, and whether Accept-Encoding allows gzip. Pure string
// work over the header values (docs/http.md, "Formats").
#pragma once

#include <optional>
#include <string_view>

#include "prom/writer.hpp"

namespace mmwatch::prom {

// The format with the highest q-value among the media ranges mmwatch can
// serve; text 0.0.4 when the header is empty, names none of them or only
// wildcards (*/* and text/*). Among equal q-values the earlier one wins.
[[nodiscard]] Format negotiate_format(std::string_view accept);

// True when gzip is acceptable: listed (as gzip or x-gzip) with a q-value
// above zero, or not listed and * is (RFC 9110: an explicit q=0 for gzip
// refuses it, whatever * says).
[[nodiscard]] bool accepts_gzip(std::string_view accept_encoding);

// "text", "openmetrics", "protobuf" (the ?format= parameter), or nothing.
[[nodiscard]] std::optional<Format> format_from_name(std::string_view name);

}  // namespace mmwatch::prom
