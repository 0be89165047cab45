// The spool's record format and its reader, header-only so the fuzzer and
// the tests run the code the spool runs. Pure: bytes in, records out.
//
// A record: "RWS2", u32 body length, u32 samples, u32 CRC-32 of the body,
// u32 CRC-32 of the 16 bytes before it (all little-endian), then the body.
// The header's own checksum lets a reader trust a length before it reads
// the body, so damage costs only what is damaged: a record whose body
// fails is skipped by its length, and bytes that are no record are passed
// one at a time until a header checks again (resynchronisation). Reading
// is linear in the bytes however they are damaged, and holds one header.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace mmwatch::push {

// A record's body, at most: a batch is at most kMaxBatchSamples samples of
// kMaxBatchBytes labels, compressed; anything longer is damage.
inline constexpr uint32_t kMaxSpoolRecordBytes = 16u << 20;

inline constexpr char kSpoolRecordMagic[4] = {'R', 'W', 'S', '2'};
inline constexpr size_t kSpoolHeaderBytes = 20;

// One good record: where its body lies in the segment, and its fields.
struct SpoolRecord {
    uint64_t offset;  // of the body
    uint32_t length;
    uint32_t samples;
    uint32_t crc;  // of the body
    [[nodiscard]] uint64_t end() const noexcept { return offset + length; }
};

inline uint32_t spool_u32(const char* p) noexcept {
    return uint32_t(uint8_t(p[0])) | uint32_t(uint8_t(p[1])) << 8 | uint32_t(uint8_t(p[2])) << 16 |
           uint32_t(uint8_t(p[3])) << 24;
}

inline uint32_t spool_crc(std::string_view bytes, uint32_t crc = 0) noexcept {
    // zlib's length is 32 bits: long spans in pieces.
    while (!bytes.empty()) {
        const size_t n = std::min<size_t>(bytes.size(), 1u << 30);
        crc = uint32_t(crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), uInt(n)));
        bytes.remove_prefix(n);
    }
    return crc;
}

// The bytes of one record as written.
inline std::string encode_spool_record(std::string_view body, uint32_t samples) {
    std::string out(kSpoolRecordMagic, 4);
    for (uint32_t v : {uint32_t(body.size()), samples, spool_crc(body)}) {
        for (int i = 0; i < 4; ++i) out.push_back(char(v >> (8 * i) & 0xff));
    }
    const uint32_t head = spool_crc(out);
    for (int i = 0; i < 4; ++i) out.push_back(char(head >> (8 * i) & 0xff));
    out.append(body);
    return out;
}

// Reads a segment fed in pieces of any size (a whole file, or 64 KiB
// reads of one), from `start`, its offset in the segment. Calls
// on_record(SpoolRecord) for each record that checks, in order; counts
// each damaged stretch (bytes between good records that are none, or one
// record failing its body's checksum) once.
class SpoolScanner {
public:
    explicit SpoolScanner(uint64_t start = 0) noexcept : pos_(start) {}

    template <typename F>
    void feed(std::string_view in, F&& on_record) {
        while (!in.empty()) {
            if (body_left_ > 0) {
                const size_t n = size_t(std::min<uint64_t>(body_left_, in.size()));
                crc_ = spool_crc(in.substr(0, n), crc_);
                advance(in, n);
                body_left_ -= n;
                if (body_left_ == 0) end_body(on_record);
            } else if (have_ == 0 && in.front() != kSpoolRecordMagic[0]) {
                // Between records: skip to the next byte that may start one.
                const size_t n = std::min(in.size(), in.find(kSpoolRecordMagic[0]));
                damaged(n);
                advance(in, n);
            } else {
                const size_t n = std::min(kSpoolHeaderBytes - have_, in.size());
                std::memcpy(header_ + have_, in.data(), n);
                have_ += n;
                advance(in, n);
                if (have_ == kSpoolHeaderBytes) end_header(on_record);
            }
        }
    }

    // The segment ended: a torn record or damage at its end is counted.
    void finish() noexcept {
        if (have_ > 0 || body_left_ > 0) in_damage_ = true;
        have_ = 0;
        body_left_ = 0;
        close_damage();
    }

    [[nodiscard]] uint64_t damaged_stretches() const noexcept { return damaged_; }
    [[nodiscard]] uint64_t offset() const noexcept { return pos_; }
    // True between records: no header or body half read.
    [[nodiscard]] bool at_boundary() const noexcept { return have_ == 0 && body_left_ == 0; }

private:
    void advance(std::string_view& in, size_t n) noexcept {
        in.remove_prefix(n);
        pos_ += n;
    }
    void damaged(size_t n) noexcept { in_damage_ = in_damage_ || n > 0; }
    void close_damage() noexcept {
        if (in_damage_) ++damaged_;
        in_damage_ = false;
    }

    template <typename F>
    void end_header(F& on_record) {
        const uint32_t length = spool_u32(header_ + 4);
        const bool ok = std::memcmp(header_, kSpoolRecordMagic, 4) == 0 &&
                        spool_crc(std::string_view(header_, 16)) == spool_u32(header_ + 16) &&
                        length <= kMaxSpoolRecordBytes;
        if (!ok) {
            // Not a header: drop its first byte, look again from the next
            // byte that may start one.
            in_damage_ = true;
            size_t k = 1;
            while (k < have_ && header_[k] != kSpoolRecordMagic[0]) ++k;
            std::memmove(header_, header_ + k, have_ - k);
            have_ -= k;
            return;
        }
        have_ = 0;
        record_ = {pos_, length, spool_u32(header_ + 8), spool_u32(header_ + 12)};
        crc_ = 0;
        body_left_ = length;
        if (length == 0) end_body(on_record);
    }

    template <typename F>
    void end_body(F& on_record) {
        if (crc_ != record_.crc) {
            in_damage_ = true;  // the header checked, so its length is trusted: one record lost
            return;
        }
        close_damage();
        on_record(record_);
    }

    uint64_t pos_;
    char header_[kSpoolHeaderBytes] = {};
    size_t have_ = 0;  // header bytes collected
    uint64_t body_left_ = 0;
    uint32_t crc_ = 0;
    SpoolRecord record_{};
    bool in_damage_ = false;
    uint64_t damaged_ = 0;
};

// A whole segment in memory (tests and the fuzzer): every good record in
// order; returns the damaged stretches.
template <typename F>
uint64_t parse_spool_segment(std::string_view bytes, F on_record) {
    SpoolScanner s;
    s.feed(bytes, on_record);
    s.finish();
    return s.damaged_stretches();
}

}  // namespace mmwatch::push
