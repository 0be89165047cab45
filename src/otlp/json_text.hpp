// Number and string writers for the OTLP JSON answers and the canonical
// form of AnyValues. Strings go through json::append_string (json_out.hpp),
// which keeps the output valid UTF-8.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.hpp"

namespace mmwatch::otlp::jtext {

// Appends `s` as a JSON string literal, quotes included.
inline void append_quoted(std::string& out, std::string_view s) { base::json::append_string(out, s); }

inline void append_int(std::string& out, int64_t v) { base::json::append_number(out, v); }
inline void append_uint(std::string& out, uint64_t v) { base::json::append_number(out, v); }

// Shortest round-trip form; NaN and infinities as the bare words NaN,
// Infinity, -Infinity (the protobuf JSON spellings, unquoted).
inline void append_number(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v > 0 ? "Infinity" : "-Infinity";
    } else {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, r.ptr);
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
    append_int(out, scaled / 1'000'000);
    int64_t frac = scaled % 1'000'000;
    if (frac == 0) return;
    char digits[7] = "000000";
    for (int i = 5; i >= 0; --i, frac /= 10) digits[i] = char('0' + frac % 10);
    int n = 6;
    while (digits[n - 1] == '0') --n;
    out += '.';
    out.append(digits, size_t(n));
}

}  // namespace mmwatch::otlp::jtext
