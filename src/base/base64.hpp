// Base64 (RFC 4648, standard alphabet), encoding only: OTLP bytes values in
// labels, gRPC's -bin metadata.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mmwatch::base::base64 {

// Appends `in` encoded to `out`, with '=' padding unless `pad` is false
// (gRPC sends -bin values unpadded).
inline void append(std::string& out, std::string_view in, bool pad = true) {
    static constexpr char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const uint32_t n = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 | uint8_t(in[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out += kTable[(n >> s) & 63];
    }
    if (i == in.size()) return;
    uint32_t n = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) n |= uint32_t(uint8_t(in[i + 1])) << 8;
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    if (i + 1 < in.size()) out += kTable[(n >> 6) & 63];
    else if (pad) out += '=';
    if (pad) out += '=';
}

}  // namespace mmwatch::base::base64
