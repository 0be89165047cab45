// UTF-8 validation, the one validator every part uses: the format reader
// (metric names), the producers, and every writer of text that must parse
// (Prometheus labels, JSON strings), which repair invalid bytes as U+FFFD.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mmwatch::base::utf8 {

// The replacement character written in place of a byte that is not part
// of a valid sequence.
inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence starting at s[i], or 0 when the bytes
// there are not one (bad lead byte, bad continuation, cut short, overlong,
// a UTF-16 surrogate or past U+10FFFF).
[[nodiscard]] constexpr size_t sequence_length(std::string_view s, size_t i) noexcept {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) return 1;
    unsigned need;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { need = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { need = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { need = 3; cp = c & 0x07; }
    else return 0;
    if (s.size() - i <= need) return 0;
    for (unsigned k = 1; k <= need; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (b & 0x3F);
    }
    constexpr uint32_t kMinForLength[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[need] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
    return need + 1;
}

[[nodiscard]] constexpr bool valid(std::string_view s) noexcept {
    for (size_t i = 0; i < s.size();) {
        const size_t n = sequence_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// The longest prefix of `s` of at most `max_bytes` that does not cut a
// character (for text that is shortened, never made invalid).
[[nodiscard]] constexpr std::string_view prefix(std::string_view s, size_t max_bytes) noexcept {
    if (s.size() <= max_bytes) return s;
    size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    return s.substr(0, end);
}

}  // namespace mmwatch::base::utf8
