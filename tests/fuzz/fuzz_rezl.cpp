// libFuzzer target: the input is a whole REZL file. Checks that the reader
// never reads outside the bytes it is given (ASan) and that everything it
// accepts is self-consistent: the layout covers the file exactly, every
// metric's data lies inside it, names are valid UTF-8 by an independent
// validator.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "fuzz_check.hpp"
#include "mmwatch/h2.hpp"
#include "base/utf8.hpp"
#include "rezl/rezl.hpp"

using namespace mmwatch;
using rezl::Reason;

namespace {

void check_header(std::span<const std::byte> bytes) {
    const auto h = rezl::parse_header(bytes);
    switch (h.reason) {
        case Reason::none:
            FUZZ_CHECK(bytes.size() >= rezl::kHeaderBytes);
            FUZZ_CHECK(std::memcmp(bytes.data(), "REZL", 4) == 0);
            FUZZ_CHECK(h.value.major == rezl::kMajorVersion);
            break;
        case Reason::truncated: FUZZ_CHECK(bytes.size() < rezl::kHeaderBytes); break;
        case Reason::not_ready:  // an all-zero magic: allocated, header not written yet
            FUZZ_CHECK(bytes.size() >= rezl::kHeaderBytes);
            FUZZ_CHECK(std::memcmp(bytes.data(), "\0\0\0\0", 4) == 0);
            break;
        case Reason::bad_magic:
        case Reason::byte_swapped_magic:
        case Reason::bad_version: FUZZ_CHECK(bytes.size() >= rezl::kHeaderBytes); break;
        default: FUZZ_CHECK(!"parse_header returned a reason it cannot have");
    }
}

void check_accepted(const rezl::Layout& l, uint64_t file_size) {
    FUZZ_CHECK(l.expected_size() == file_size);
    FUZZ_CHECK(l.data_offset % 8 == 0);
    FUZZ_CHECK(l.data_offset >= rezl::kHeaderBytes + uint64_t(l.header.catalog_bytes));
    FUZZ_CHECK(l.data_offset < rezl::kHeaderBytes + uint64_t(l.header.catalog_bytes) + 8);
    FUZZ_CHECK(l.header.ready());
    FUZZ_CHECK(l.metrics.size() == l.header.metric_count);
    FUZZ_CHECK(l.metrics.size() <= rezl::kMaxMetrics);
    uint64_t next = l.data_offset;
    for (const auto& m : l.metrics) {
        // Back to back in catalog order, aligned, inside the file.
        FUZZ_CHECK(l.offset_of(m) == next);
        FUZZ_CHECK(m.words >= 1);
        FUZZ_CHECK(l.offset_of(m) + m.words * 8 <= file_size);
        next = l.offset_of(m) + m.words * 8;
        const std::string_view name = l.name(m);
        FUZZ_CHECK(!name.empty() && name.size() <= rezl::kMaxNameBytes);
        FUZZ_CHECK(uint64_t{m.name_offset} + m.name_bytes <= l.names.size());
        FUZZ_CHECK(fuzz::reference_utf8(name));
        switch (m.type) {
            case rezl::MetricType::counter:
            case rezl::MetricType::gauge: FUZZ_CHECK(m.words == 1); break;
            case rezl::MetricType::histogram:
                FUZZ_CHECK(m.grouping_power < m.max_power && m.max_power <= 64);
                FUZZ_CHECK(m.words == h2::bucket_count(m.grouping_power, m.max_power));
                FUZZ_CHECK(m.words <= h2::kMaxBuckets);
                break;
            default: FUZZ_CHECK(!"accepted an invalid metric type");
        }
    }
    FUZZ_CHECK(next == file_size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span bytes(reinterpret_cast<const std::byte*>(data), size);
    // The validator agrees with the Unicode table on arbitrary bytes.
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    FUZZ_CHECK(base::utf8::valid(text) == fuzz::reference_utf8(text));

    check_header(bytes);
    const auto whole = rezl::parse_layout(bytes, size);
    const auto h = rezl::parse_header(bytes);
    if (!h.ok()) FUZZ_CHECK(whole.reason == h.reason);
    if (whole.ok()) {
        check_accepted(whole.value, size);
        // The same catalog with any other file size is a size mismatch.
        FUZZ_CHECK(rezl::parse_layout(bytes, uint64_t(size) + 1).reason == Reason::size_mismatch);
    } else {
        FUZZ_CHECK(whole.value.metrics.empty());
    }

    // As the daemon calls it: only header + catalog read (pread), the real
    // file size beside it. The verdict must not depend on the data bytes.
    if (h.ok()) {
        const uint64_t want = rezl::prefix_bytes(h.value);
        if (want < size) {
            const auto prefix = rezl::parse_layout(bytes.first(size_t(want)), size);
            FUZZ_CHECK(prefix.reason == whole.reason);
            if (prefix.ok()) FUZZ_CHECK(prefix.value.expected_size() == whole.value.expected_size());
        }
    }
    return 0;
}
