// The segment parser, header-only so the fuzzer and tests use the code
// the spool uses. Record: "RWSR", u32 length, u32 CRC-32, u32 samples
// (little-endian), then `length` bytes.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace mmwatch::push {

// A record's payload, at most (a batch is a few hundred KiB compressed).
inline constexpr uint32_t kMaxSpoolRecordBytes = 64u << 20;

// One parsed record: where its body lies in the segment and its samples.
struct SpoolRecord {
    size_t offset;
    uint32_t length;
    uint32_t samples;
    uint32_t crc;
};

inline constexpr char kSpoolRecordMagic[4] = {'R', 'W', 'S', 'R'};
inline constexpr size_t kSpoolHeaderBytes = 16;

inline uint32_t spool_u32(const char* p) noexcept {
    return uint32_t(uint8_t(p[0])) | uint32_t(uint8_t(p[1])) << 8 | uint32_t(uint8_t(p[2])) << 16 |
           uint32_t(uint8_t(p[3])) << 24;
}

// CRC-32 of the header's length and samples fields and the body: a flipped
// bit anywhere in a record fails it.
inline uint32_t spool_crc(std::string_view b, uint32_t samples) noexcept {
    unsigned char fields[8];
    const uint32_t length = uint32_t(b.size());
    for (int i = 0; i < 4; ++i) {
        fields[i] = static_cast<unsigned char>(length >> (8 * i));
        fields[4 + i] = static_cast<unsigned char>(samples >> (8 * i));
    }
    uLong crc = crc32(0L, fields, sizeof fields);
    return uint32_t(crc32(crc, reinterpret_cast<const Bytef*>(b.data()), uInt(b.size())));
}

// The bytes of one record as written.
inline std::string encode_spool_record(std::string_view body, uint32_t samples) {
    std::string out(kSpoolRecordMagic, 4);
    for (uint32_t v : {uint32_t(body.size()), spool_crc(body, samples), samples}) {
        for (int i = 0; i < 4; ++i) out.push_back(char(v >> (8 * i) & 0xff));
    }
    out.append(body);
    return out;
}

// Parses a segment's records in order; stops at the first that is torn or
// does not check (returns false then). `on_record` gets every good one.
template <typename F>
bool parse_spool_segment(std::string_view bytes, F on_record) {
    size_t at = 0;
    while (at < bytes.size()) {
        if (bytes.size() - at < kSpoolHeaderBytes) return false;  // a torn header
        const char* h = bytes.data() + at;
        if (std::memcmp(h, kSpoolRecordMagic, 4) != 0) return false;
        const uint32_t length = spool_u32(h + 4);
        const uint32_t crc = spool_u32(h + 8);
        const uint32_t samples = spool_u32(h + 12);
        if (length > kMaxSpoolRecordBytes || bytes.size() - at - kSpoolHeaderBytes < length) return false;
        const std::string_view body = bytes.substr(at + kSpoolHeaderBytes, length);
        if (spool_crc(body, samples) != crc) return false;
        on_record(SpoolRecord{at + kSpoolHeaderBytes, length, samples, crc});
        at += kSpoolHeaderBytes + length;
    }
    return true;
}

}  // namespace mmwatch::push
