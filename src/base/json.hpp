// JSON writing, the one escaper: strings per RFC 8259 with invalid UTF-8
// replaced by U+FFFD so the output always parses, and numbers. Used by the
// API answers, the OTLP answers and the in-process library's export.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace mmwatch::base::json {

// Appends `s` as a JSON string literal, quotes included.
void append_string(std::string& out, std::string_view s);

template <typename T>
void append_number(std::string& out, T v) {
    char buf[64];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

}  // namespace mmwatch::base::json
