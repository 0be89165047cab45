// The Prometheus metric-name alphabet, [a-zA-Z_:][a-zA-Z0-9_:]*, tested in
// one place: the file exposition, the OTLP translation and the in-process
// registry all sanitize or validate against it.
#pragma once

#include <string_view>

namespace mmwatch::base {

[[nodiscard]] constexpr bool metric_name_char(char c, bool first) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

// Label names are metric names without ':'.
[[nodiscard]] constexpr bool label_name_char(char c, bool first) noexcept {
    return c != ':' && metric_name_char(c, first);
}

[[nodiscard]] constexpr bool valid_metric_name(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        if (!metric_name_char(s[i], i == 0)) return false;
    }
    return true;
}

}  // namespace mmwatch::base
