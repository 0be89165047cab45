// The segment format: what the store writes to --history-dir, as records
// appended to files. Pure functions over bytes: the writer builds records,
// the scanner finds them in whatever a crash, a full disk or a stray
// editor left. docs/history.md, "On disk".
//
//   record := "MHR1" | u32 length | u32 CRC-32 | u8 type | body[length]
//
// little-endian; the CRC covers the type byte and the body. Types: series
// (segment-local refs and their label sets), raw (chunks of new samples:
// chunk_codec's self-contained form), tier (rows of a downsampled tier, in
// the store's tier chunk form). With kCompressedFlag the body is one zstd
// frame. A segment is self-contained: it defines every series it refers
// to, so the oldest segment can be deleted whole.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "history/labels.hpp"
#include "history/tiers.hpp"

namespace mmwatch::history {

enum class RecordType : uint8_t { series = 1, raw = 2, tier = 3 };
inline constexpr uint8_t kCompressedFlag = 0x80;
inline constexpr char kRecordMagic[4] = {'M', 'H', 'R', '1'};
inline constexpr size_t kRecordHeaderBytes = 13;
// A record's body at most, stored or decompressed: bounds what reading one
// costs in memory. A flush builds records of about a quarter of this.
inline constexpr uint32_t kMaxRecordBytes = 1u << 20;

// --- writing --------------------------------------------------------------------

// Appends one record holding `body` to `out`, zstd-compressed when that
// makes it smaller.
void append_record(std::string& out, RecordType type, std::string_view body);

// Record bodies, built entry by entry.
void put_series_entry(std::string& body, uint64_t ref, std::span<const LabelView> labels);
void put_chunk_entry(std::string& body, uint64_t ref, std::string_view chunk);
// A tier body starts with its tier.
void start_tier_body(std::string& body, Tier tier);

// --- reading --------------------------------------------------------------------

enum class ScanStatus : uint8_t {
    record,     // a whole record that checks: `consumed` bytes
    need_more,  // a record may start here but is not all in `bytes` yet
    corrupt,    // no valid record here: skip `consumed` bytes, to where one may start
};

struct Scan {
    ScanStatus status = ScanStatus::need_more;
    size_t consumed = 0;
    uint8_t type = 0;           // as stored, compression flag included
    std::string_view body;      // as stored (maybe compressed), inside `bytes`
};

// Looks for a record at the start of `bytes`. A length over the cap, a bad
// magic or a bad CRC is corrupt; the scan then skips to the next place the
// magic appears (or to the end, keeping the last 3 bytes in case it is cut).
[[nodiscard]] Scan scan_record(std::string_view bytes) noexcept;

// A scanned record's body, decompressed into `scratch` when compressed;
// false if that fails or would exceed kMaxRecordBytes.
[[nodiscard]] bool record_body(const Scan& scan, std::string& scratch, std::string_view& body);

// Entries of a body, one at a time; false at the end or on a malformed
// entry (then `bad()` is true).
class EntryReader {
public:
    explicit EntryReader(std::string_view body) noexcept : body_(body) {}
    bool series(uint64_t& ref, std::vector<LabelView>& labels);
    bool chunk(uint64_t& ref, std::string_view& chunk) noexcept;
    bool tier(Tier& tier) noexcept;
    [[nodiscard]] bool bad() const noexcept { return bad_; }

private:
    bool bytes(std::string_view& out) noexcept;
    bool fail() noexcept {
        bad_ = true;
        return false;
    }

    std::string_view body_;
    size_t pos_ = 0;
    bool bad_ = false;
};

}  // namespace mmwatch::history
