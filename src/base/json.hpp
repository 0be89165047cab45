// Minimal JSON writing helpers for the API endpoints: strings escaped per
// RFC 8259, invalid UTF-8 replaced by U+FFFD so the output always parses.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace mmwatch::json {

void append_string(std::string& out, std::string_view s);

template <typename T>
void append_number(std::string& out, T v) {
    char buf[64];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

}  // namespace mmwatch::json
