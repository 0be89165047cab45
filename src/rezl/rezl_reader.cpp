// Header and catalog validation for the REZL v1.0 format. Pure functions:
// the caller reads the bytes (pread, never the mapping) and owns them.
#include "rezl/rezl.hpp"

#include <algorithm>
#include <cstring>

#include "base/enum_names.hpp"
#include "base/utf8.hpp"
#include "mmwatch/h2.hpp"

namespace mmwatch::rezl {

namespace {

uint32_t load_le32(const std::byte* p) noexcept {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

MMWATCH_ENUM_TABLE(Reason, kReasons) = {
    MMWATCH_ROW(none, "accepted"),
    MMWATCH_ROW(truncated, "file is shorter than its header or catalog"),
    MMWATCH_ROW(bad_magic, "file does not start with the magic bytes REZL"),
    MMWATCH_ROW(byte_swapped_magic, "magic is LZER: the producer wrote 0x52455A4C little-endian; write the bytes R E Z L"),
    MMWATCH_ROW(bad_version, "unsupported major version (mmwatch reads 1.x)"),
    MMWATCH_ROW(not_ready, "ready flag (or the whole header) was still 0 when --ready-timeout expired"),
    MMWATCH_ROW(too_many_metrics, "metric count is over 1024"),
    MMWATCH_ROW(bad_type, "catalog entry has a type other than 1 (counter), 2 (gauge) or 3 (histogram)"),
    MMWATCH_ROW(bad_histogram_config, "histogram needs grouping power < max value power <= 64 and at most 65536 buckets"),
    MMWATCH_ROW(bad_name_length, "metric name is empty"),
    MMWATCH_ROW(bad_name_utf8, "metric name is not valid UTF-8"),
    MMWATCH_ROW(catalog_overrun, "catalog entries do not fit exactly in the catalog size, or the catalog runs past the file"),
    MMWATCH_ROW(size_mismatch, "file size differs from data offset plus the sizes of all values"),
    MMWATCH_ROW(read_fault, "reading the mapped data faulted (file truncated or IO error while mapped)"),
    MMWATCH_ROW(file_too_large, "file is larger than --max-file-bytes"),
    MMWATCH_ROW(mapped_bytes_limit, "mapping the file would exceed --max-mapped-bytes in total"),
    MMWATCH_ROW(open_failed, "the file could not be opened, examined or mapped"),
};
static_assert(base::rows_match(kReasons, kReasonCount));

// Catalog types are 1..3; 0 is no type (a refused entry).
constexpr base::EnumRow<MetricType> kTypeNames[] = {
    {MetricType{}, "unknown"},
    {MetricType::counter, "counter"},
    {MetricType::gauge, "gauge"},
    {MetricType::histogram, "histogram"},
};
static_assert(base::rows_match(kTypeNames, size_t(MetricType::histogram) + 1));

// A Metric holds its word offset and its words in 32 bits each.
static_assert(uint64_t{kMaxMetrics} * h2::kMaxBuckets <= UINT32_MAX);

}  // namespace

std::string_view reason_name(Reason r) noexcept { return base::name_of(kReasons, r); }

std::string_view reason_message(Reason r) noexcept { return base::message_of(kReasons, r); }

std::string_view type_name(MetricType t) noexcept { return base::name_of(kTypeNames, t); }

Result<Header> parse_header(std::span<const std::byte> bytes) noexcept {
    Result<Header> r;
    if (bytes.size() < kHeaderBytes) {
        r.reason = Reason::truncated;
        return r;
    }
    const auto* b = bytes.data();
    if (std::memcmp(b, "REZL", 4) != 0) {
        // A producer allocates the file (zero-filled) before it writes the
        // header through its mapping, and that write raises no inotify
        // event: an all-zero magic is a file not ready yet, not a bad one.
        static constexpr std::byte kZero[4] = {};
        if (std::memcmp(b, kZero, 4) == 0) r.reason = Reason::not_ready;
        else r.reason = std::memcmp(b, "LZER", 4) == 0 ? Reason::byte_swapped_magic : Reason::bad_magic;
        return r;
    }
    r.value.major = uint8_t(b[4]);
    r.value.minor = uint8_t(b[5]);
    r.value.status = uint8_t(b[6]);
    r.value.metric_count = load_le32(b + 8);
    r.value.catalog_bytes = load_le32(b + 12);
    if (r.value.major != kMajorVersion) r.reason = Reason::bad_version;
    return r;
}

namespace {

// Parses one catalog entry at `pos`, advancing it; its name goes at the end
// of `names`. Returns the reason the entry is invalid, or none.
Reason parse_entry(std::span<const std::byte> catalog, size_t& pos, Metric& out, std::string& names) {
    const size_t size = catalog.size();
    if (pos >= size) return Reason::catalog_overrun;
    const auto type = uint8_t(catalog[pos++]);
    if (type < 1 || type > 3) return Reason::bad_type;
    out.type = MetricType(type);
    if (out.type == MetricType::histogram) {
        if (size - pos < 2) return Reason::catalog_overrun;
        out.grouping_power = uint8_t(catalog[pos]);
        out.max_power = uint8_t(catalog[pos + 1]);
        pos += 2;
        if (!h2::valid_config(out.grouping_power, out.max_power)) return Reason::bad_histogram_config;
        out.words = uint32_t(h2::bucket_count(out.grouping_power, out.max_power));
    } else {
        out.words = 1;
    }
    if (pos >= size) return Reason::catalog_overrun;
    const auto len = size_t(uint8_t(catalog[pos++]));
    if (len == 0) return Reason::bad_name_length;
    if (size - pos < len) return Reason::catalog_overrun;
    const std::string_view name(reinterpret_cast<const char*>(catalog.data() + pos), len);
    pos += len;
    if (!base::utf8::valid(name)) return Reason::bad_name_utf8;
    out.name_offset = uint32_t(names.size());
    out.name_bytes = uint8_t(len);
    names.append(name);
    return Reason::none;
}

}  // namespace

Result<Layout> parse_layout(std::span<const std::byte> prefix, uint64_t file_size) {
    Result<Layout> r;
    auto h = parse_header(prefix);
    if (!h.ok()) {
        r.reason = h.reason;
        return r;
    }
    r.value.header = h.value;
    const Header& hdr = h.value;
    if (!hdr.ready()) {
        r.reason = Reason::not_ready;
        return r;
    }
    if (hdr.metric_count > kMaxMetrics) {
        r.reason = Reason::too_many_metrics;
        return r;
    }
    if (hdr.catalog_bytes > kMaxCatalogBytes || kHeaderBytes + uint64_t(hdr.catalog_bytes) > file_size) {
        r.reason = Reason::catalog_overrun;
        return r;
    }
    if (prefix.size() < kHeaderBytes + hdr.catalog_bytes) {
        r.reason = Reason::truncated;
        return r;
    }
    const auto catalog = prefix.subspan(kHeaderBytes, hdr.catalog_bytes);
    r.value.data_offset = (kHeaderBytes + uint64_t(hdr.catalog_bytes) + 7) & ~uint64_t{7};
    r.value.metrics.resize(hdr.metric_count);
    // Names take at most what is left of the catalog past the entries' 2
    // bytes of type and length: one allocation, exact for counters and gauges.
    r.value.names.reserve(catalog.size() - std::min<size_t>(catalog.size(), 2 * size_t(hdr.metric_count)));
    size_t pos = 0;
    uint64_t words = 0;  // at most kMaxMetrics * h2::kMaxBuckets: fits a Metric's u32
    for (auto& m : r.value.metrics) {
        if (Reason why = parse_entry(catalog, pos, m, r.value.names); why != Reason::none) {
            r.reason = why;
            r.value.metrics.clear();
            return r;
        }
        m.word = uint32_t(words);
        words += m.words;
    }
    if (pos != catalog.size()) {
        r.reason = Reason::catalog_overrun;
        r.value.metrics.clear();
        return r;
    }
    r.value.data_words = words;
    if (r.value.expected_size() != file_size) {
        r.reason = Reason::size_mismatch;
        r.value.metrics.clear();
    }
    return r;
}

}  // namespace mmwatch::rezl
