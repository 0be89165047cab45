#include "history/segment.hpp"

#include <zlib.h>
#include <zstd.h>

#include <cstring>

#include "base/limits.hpp"
#include "history/chunk_codec.hpp"

namespace mmwatch::history {

namespace {

// zstd's level for records: 3 (its default) is as good as 19 on these
// bodies within a few per cent and several times faster
// (docs/benchmarks.md, "History store").
constexpr int kZstdLevel = 3;

void put_u32(std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(char(uint8_t(v >> (8 * i))));
}

uint32_t get_u32(const char* p) noexcept {
    return uint32_t(uint8_t(p[0])) | uint32_t(uint8_t(p[1])) << 8 | uint32_t(uint8_t(p[2])) << 16 |
           uint32_t(uint8_t(p[3])) << 24;
}

uint32_t record_crc(uint8_t type, std::string_view body) noexcept {
    uLong crc = crc32(0L, &type, 1);
    return uint32_t(crc32(crc, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size())));
}

void put_bytes(std::string& out, std::string_view b) {
    put_varint(out, b.size());
    out.append(b);
}

}  // namespace

void append_record(std::string& out, RecordType type, std::string_view body) {
    uint8_t t = uint8_t(type);
    std::string packed(ZSTD_compressBound(body.size()), '\0');
    const size_t n = ZSTD_compress(packed.data(), packed.size(), body.data(), body.size(), kZstdLevel);
    if (!ZSTD_isError(n) && n < body.size()) {
        packed.resize(n);
        body = packed;
        t |= kCompressedFlag;
    }
    out.append(kRecordMagic, 4);
    put_u32(out, uint32_t(body.size()));
    put_u32(out, record_crc(t, body));
    out.push_back(char(t));
    out.append(body);
}

void put_series_entry(std::string& body, uint64_t ref, std::span<const LabelView> labels) {
    put_varint(body, ref);
    put_varint(body, labels.size());
    for (const LabelView& l : labels) {
        put_bytes(body, l.name);
        put_bytes(body, l.value);
    }
}

void put_chunk_entry(std::string& body, uint64_t ref, std::string_view chunk) {
    put_varint(body, ref);
    put_bytes(body, chunk);
}

void start_tier_body(std::string& body, Tier tier) { body.push_back(char(tier)); }

Scan scan_record(std::string_view bytes) noexcept {
    Scan s;
    const size_t keep = sizeof kRecordMagic - 1;  // a magic cut at the end may finish in the next read
    const auto resync = [&]() {
        s.status = ScanStatus::corrupt;
        const size_t next = bytes.find(std::string_view(kRecordMagic, 4), 1);
        s.consumed = next != std::string_view::npos ? next : (bytes.size() > keep ? bytes.size() - keep : 1);
        return s;
    };
    if (bytes.size() < 4) {
        if (std::memcmp(bytes.data(), kRecordMagic, bytes.size()) != 0) return resync();
        return s;  // need_more
    }
    if (std::memcmp(bytes.data(), kRecordMagic, 4) != 0) return resync();
    if (bytes.size() < kRecordHeaderBytes) return s;
    const uint32_t length = get_u32(bytes.data() + 4);
    const uint32_t crc = get_u32(bytes.data() + 8);
    const uint8_t type = uint8_t(bytes[12]);
    if (length > kMaxRecordBytes) return resync();
    if (bytes.size() - kRecordHeaderBytes < length) return s;
    const std::string_view body = bytes.substr(kRecordHeaderBytes, length);
    if (record_crc(type, body) != crc) return resync();
    s.status = ScanStatus::record;
    s.consumed = kRecordHeaderBytes + length;
    s.type = type;
    s.body = body;
    return s;
}

bool record_body(const Scan& scan, std::string& scratch, std::string_view& body) {
    if (!(scan.type & kCompressedFlag)) {
        body = scan.body;
        return true;
    }
    const unsigned long long size = ZSTD_getFrameContentSize(scan.body.data(), scan.body.size());
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxRecordBytes) return false;
    scratch.resize(size_t(size));
    const size_t n = ZSTD_decompress(scratch.data(), scratch.size(), scan.body.data(), scan.body.size());
    if (ZSTD_isError(n) || n != size) return false;
    body = scratch;
    return true;
}

bool EntryReader::bytes(std::string_view& out) noexcept {
    uint64_t len = 0;
    if (!get_varint(body_, pos_, len) || len > body_.size() - pos_) return fail();
    out = body_.substr(pos_, size_t(len));
    pos_ += size_t(len);
    return true;
}

bool EntryReader::series(uint64_t& ref, std::vector<LabelView>& labels) {
    if (pos_ == body_.size()) return false;
    uint64_t n = 0;
    if (!get_varint(body_, pos_, ref) || !get_varint(body_, pos_, n) || n > base::kMaxHistoryLabelsPerSeries) return fail();
    labels.clear();
    for (uint64_t i = 0; i < n; ++i) {
        LabelView l;
        if (!bytes(l.name) || !bytes(l.value)) return false;
        labels.push_back(l);
    }
    return true;
}

bool EntryReader::chunk(uint64_t& ref, std::string_view& chunk) noexcept {
    if (pos_ == body_.size()) return false;
    if (!get_varint(body_, pos_, ref)) return fail();
    return bytes(chunk);
}

bool EntryReader::tier(Tier& tier) noexcept {
    if (pos_ >= body_.size()) return fail();
    const uint8_t t = uint8_t(body_[pos_++]);
    if (t != uint8_t(Tier::minute) && t != uint8_t(Tier::hour)) return fail();
    tier = Tier(t);
    return true;
}

}  // namespace mmwatch::history
