// Small helpers for writing JSON text by hand into a std::string: the
// answers of the query API and the canonical form of OTLP AnyValues.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace mmwatch::json {

// Appends `s` as a JSON string literal, quotes included.
inline void append_quoted(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            if (c == '\n') out += "\\n";
            else if (c == '\t') out += "\\t";
            else if (c == '\r') out += "\\r";
            else {
                out += "\\u00";
                out += kHex[u >> 4];
                out += kHex[u & 15];
            }
        } else {
            out += c;
        }
    }
    out += '"';
}

inline void append_int(std::string& out, int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

inline void append_uint(std::string& out, uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
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

}  // namespace mmwatch::json
