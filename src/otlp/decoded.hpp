// The decoded form of an OTLP ExportMetricsServiceRequest, whatever it
// came as (JSON or protobuf), and why a body could not be decoded: what
// the decoders fill and the store, the name translation and the receiver
// read. Plain data; the decoders are in decoder.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace mmwatch::otlp {

enum class MetricKind : uint8_t { none, gauge, sum, histogram, exponential_histogram, summary };
enum class Temporality : uint8_t { unspecified = 0, delta = 1, cumulative = 2 };

// A half-open range of indices into one of DecodedRequest's flat arrays.
struct Range {
    uint32_t begin = 0;
    uint32_t end = 0;
    [[nodiscard]] uint32_t size() const noexcept { return end - begin; }
};

// An attribute with its value in canonical string form: strings as sent,
// bool/int/double as JSON literals, bytes as the base64 text, arrays and
// kvlists as compact JSON (the OTel-to-Prometheus rule for label values).
struct Attr {
    std::string_view key;
    std::string_view value;
};

struct DecodedResource {
    Range attrs;
};

struct DecodedScope {
    uint32_t resource = 0;
    std::string_view name;
    std::string_view version;
    Range attrs;
};

struct DecodedMetric {
    uint32_t scope = 0;
    std::string_view name;
    std::string_view description;
    std::string_view unit;
    MetricKind kind = MetricKind::none;
    Temporality temporality = Temporality::unspecified;
    bool monotonic = false;
    Range points;
};

// One data point of any kind; the fields a kind does not use stay zero.
struct DecodedPoint {
    Range attrs;
    int64_t start_ns = 0;
    int64_t time_ns = 0;
    uint32_t flags = 0;
    bool has_value = false;  // number points: asInt or asDouble present
    double value = 0;
    uint64_t count = 0;
    bool has_sum = false;
    double sum = 0;
    Range bounds;   // histogram explicitBounds / summary quantiles (doubles)
    Range values;   // summary quantile values (doubles)
    Range counts;   // histogram bucketCounts / exp. positive buckets (u64s)
    Range negative_counts;  // exponential histogram negative buckets (u64s)
    int32_t scale = 0;
    int32_t positive_offset = 0;
    int32_t negative_offset = 0;
    uint64_t zero_count = 0;
    double zero_threshold = 0;  // exponential histograms
    bool has_min = false;       // histograms: the smallest and largest value seen
    bool has_max = false;
    double min = 0;
    double max = 0;
};

// Flat arrays reused request after request: after warm-up, decoding does
// not allocate. String views point into the decoder's buffers and stay
// valid until its next decode().
struct DecodedRequest {
    std::vector<DecodedResource> resources;
    std::vector<DecodedScope> scopes;
    std::vector<DecodedMetric> metrics;
    std::vector<DecodedPoint> points;
    std::vector<Attr> attrs;
    std::vector<double> doubles;
    std::vector<uint64_t> u64s;

    void clear() noexcept;
    // Bytes the arrays hold (their capacities).
    [[nodiscard]] size_t capacity_bytes() const noexcept;
};

enum class DecodeError : uint8_t {
    none,
    malformed_json,   // not JSON, truncated, bad UTF-8
    wrong_type,       // a known field holds the wrong JSON type
    bad_number,       // a number (or numeric string) out of range or unparsable
    too_deep,         // AnyValue nesting past kMaxOtlpAnyValueDepth
    duplicate_field,  // a field or a second data kind given twice
    malformed_protobuf,  // a truncated varint, a length past the end, an unknown wire type
};
inline constexpr size_t kDecodeErrorCount = 7;

[[nodiscard]] std::string_view decode_error_name(DecodeError e) noexcept;

struct DecodeResult {
    DecodeError error = DecodeError::none;
    std::string_view where;  // the field being decoded when it failed
};

}  // namespace mmwatch::otlp
