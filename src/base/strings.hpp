// The small string helpers every parser of outside text needs, once: white
// space trimmed off both ends, ASCII case-insensitive comparison (header
// names, media types, tokens).
#pragma once

#include <string_view>

namespace mmwatch::base {

// `s` without leading and trailing characters from `chars` (by default
// optional white space as HTTP defines it: spaces and tabs).
[[nodiscard]] constexpr std::string_view trim(std::string_view s, std::string_view chars = " \t") noexcept {
    const size_t first = s.find_first_not_of(chars);
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(chars) - first + 1);
}

[[nodiscard]] constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

// Case-insensitive ASCII comparison.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

}  // namespace mmwatch::base
