// JSON writing, the one writer: strings per RFC 8259 with invalid UTF-8
// replaced by U+FFFD so the output always parses, and numbers. Used by the
// API answers, the OTLP answers and canonical attribute values, and the
// in-process library's export.
#pragma once

#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace mmwatch::base::json {

// Appends `s` as a JSON string literal, quotes included.
void append_string(std::string& out, std::string_view s);

template <std::integral T>
void append_number(std::string& out, T v) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// Shortest round-trip form; NaN and infinities as the bare words NaN,
// Infinity, -Infinity (the protobuf JSON spellings, unquoted).
inline void append_number(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v > 0 ? "Infinity" : "-Infinity";
    } else {
        char buf[32];
        out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    }
}

// A double as a JSON value: a number, or a quoted word when not finite.
inline void append_double(std::string& out, double v) {
    if (std::isfinite(v)) {
        append_number(out, v);
    } else {
        out += '"';
        append_number(out, v);
        out += '"';
    }
}

// A finite double with at most 6 decimals, trailing zeros dropped: integer
// arithmetic instead of shortest round-trip formatting, several times
// faster, for the health answer's rates, ratios and latencies.
inline void append_fixed6(std::string& out, double v) {
    if (!std::isfinite(v) || v >= 9e12 || v <= -9e12) {
        append_double(out, v);
        return;
    }
    int64_t scaled = std::llround(v * 1e6);
    if (scaled < 0) {
        out += '-';
        scaled = -scaled;
    }
    append_number(out, scaled / 1'000'000);
    int64_t frac = scaled % 1'000'000;
    if (frac == 0) return;
    char digits[7] = "000000";
    for (int i = 5; i >= 0; --i, frac /= 10) digits[i] = char('0' + frac % 10);
    int n = 6;
    while (digits[n - 1] == '0') --n;
    out += '.';
    out.append(digits, size_t(n));
}

}  // namespace mmwatch::base::json
