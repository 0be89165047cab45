// The Rezolus external-metrics file format, v1.0: pure validation of the
// header and catalog, and the data layout. No IO, no allocation beyond the
// returned catalog. See docs/format.md for what is accepted and why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mmwatch::rezl {

inline constexpr size_t kHeaderBytes = 16;
inline constexpr uint32_t kMaxMetrics = 1024;
inline constexpr size_t kMaxNameBytes = 255;
// Largest catalog a valid file can have: 1024 histogram entries with
// 255-byte names. A header claiming more is rejected before any read.
inline constexpr size_t kMaxCatalogBytes = kMaxMetrics * (1 + 2 + 1 + kMaxNameBytes);
inline constexpr uint8_t kMajorVersion = 1;
inline constexpr uint8_t kReadyBit = 0x01;

enum class MetricType : uint8_t { counter = 1, gauge = 2, histogram = 3 };

// Every reason a file can be refused, format and source alike. The names
// (reason_name) are the same in the self-metrics, the event log,
// /api/v1/sources and docs/format.md.
enum class Reason : uint8_t {
    none,
    truncated,             // shorter than the header, or than the header says
    bad_magic,
    byte_swapped_magic,    // "LZER": the producer wrote the magic little-endian
    bad_version,           // major version other than 1
    not_ready,             // ready bit still 0 after --ready-timeout
    too_many_metrics,      // metric count > 1024
    bad_type,
    bad_histogram_config,  // g >= m, m > 64, or too many buckets
    bad_name_length,       // name length 0
    bad_name_utf8,
    catalog_overrun,       // entries run past the catalog size, or leave bytes over
    size_mismatch,         // file size != data offset + data sizes
    read_fault,            // SIGBUS or a failed read while copying
    file_too_large,        // over --max-file-bytes
    mapped_bytes_limit,    // would take the total mapped bytes over its limit
    open_failed,           // open/fstat/mmap refused (permissions, ...)
};
inline constexpr size_t kReasonCount = size_t(Reason::open_failed) + 1;

[[nodiscard]] std::string_view reason_name(Reason r) noexcept;
[[nodiscard]] std::string_view reason_message(Reason r) noexcept;

struct Header {
    uint8_t major = 0;
    uint8_t minor = 0;
    uint8_t status = 0;
    uint32_t metric_count = 0;
    uint32_t catalog_bytes = 0;
    [[nodiscard]] bool ready() const noexcept { return status & kReadyBit; }
};

// One catalog entry, 16 bytes: a file of 1,000 series holds 1,000 of
// these for as long as it is active, so the name is not a std::string of
// its own (32 bytes and, past 15 characters, an allocation: 88 bytes a
// series in all) but a span of the layout's one string of names.
struct Metric {
    MetricType type = MetricType::counter;
    uint8_t grouping_power = 0;  // histograms only
    uint8_t max_power = 0;       // histograms only
    uint8_t name_bytes = 0;      // 1..kMaxNameBytes
    uint32_t name_offset = 0;    // in Layout::names
    uint32_t word = 0;           // its first u64 word, counted from the data section's start
    uint32_t words = 0;          // u64 words of data (buckets for histograms)
};
static_assert(sizeof(Metric) == 16);

struct Layout {
    Header header;
    std::vector<Metric> metrics;
    std::string names;           // every entry's name, raw bytes from the file, valid UTF-8
    uint64_t data_offset = 0;    // start of the data section
    uint64_t data_words = 0;     // total u64 words in the data section
    [[nodiscard]] uint64_t expected_size() const noexcept { return data_offset + data_words * 8; }
    [[nodiscard]] std::string_view name(const Metric& m) const noexcept {
        return std::string_view(names).substr(m.name_offset, m.name_bytes);
    }
    // Bytes from the start of the file to the entry's first word.
    [[nodiscard]] uint64_t offset_of(const Metric& m) const noexcept { return data_offset + uint64_t(m.word) * 8; }
};

template <typename T>
struct [[nodiscard]] Result {
    T value{};
    Reason reason = Reason::none;
    [[nodiscard]] bool ok() const noexcept { return reason == Reason::none; }
};

// Checks the 16-byte header: length, magic, major version. The ready bit is
// reported, not enforced, so the caller can tell pending from bad.
Result<Header> parse_header(std::span<const std::byte> bytes) noexcept;

// Validates a whole file's header and catalog and computes its layout.
// `prefix` holds at least header + catalog bytes (more is fine); `file_size`
// is the file's real size. A file that is not ready yields not_ready.
Result<Layout> parse_layout(std::span<const std::byte> prefix, uint64_t file_size);

// How many bytes of the file parse_layout needs, from the header alone.
[[nodiscard]] inline uint64_t prefix_bytes(const Header& h) noexcept {
    return kHeaderBytes + uint64_t(h.catalog_bytes);
}

[[nodiscard]] std::string_view type_name(MetricType t) noexcept;

}  // namespace mmwatch::rezl
