#include "push/write_request.hpp"

#include <snappy.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>
#include <vector>

#include <protozero/types.hpp>
#include <protozero/varint.hpp>

namespace mmwatch::push {

namespace {
// prometheus/prompb/remote.proto and types.proto.
enum : uint32_t { request_timeseries = 1 };
enum : uint32_t { series_labels = 1, series_samples = 2 };
enum : uint32_t { label_name = 1, label_value = 2 };
enum : uint32_t { sample_value = 1, sample_timestamp = 2 };

// A length-delimited field's bytes: its one-byte tag (field numbers here
// are all below 16), the length and the payload.
size_t field_bytes(size_t payload) noexcept { return 1 + size_t(protozero::length_of_varint(payload)) + payload; }

size_t label_bytes(std::string_view n, std::string_view v) noexcept { return field_bytes(n.size()) + field_bytes(v.size()); }

// Sample: a double (tag, 8 bytes) and an int64 varint (tag, varint).
size_t sample_bytes(int64_t t) noexcept { return 1 + 8 + 1 + size_t(protozero::length_of_varint(uint64_t(t))); }

constexpr char key(uint32_t field, protozero::pbf_wire_type type) noexcept { return char((field << 3) | uint32_t(type)); }

char* put_length(char* p, uint32_t field, size_t length) noexcept {
    *p++ = key(field, protozero::pbf_wire_type::length_delimited);
    return p + protozero::add_varint_to_buffer(p, length);
}

char* put_bytes(char* p, uint32_t field, std::string_view b) noexcept {
    p = put_length(p, field, b.size());
    std::memcpy(p, b.data(), b.size());
    return p + b.size();
}

}  // namespace

// The framing is written directly into the buffer: each series' labels
// are read once (their views kept for the series), its size computed,
// then its bytes written, so each length is written once. protozero's
// nested writers instead reserve room for a length and move the payload
// back when it is shorter, for every label of every series; and its
// known-size submessages allow one per parent (a debug assertion). The
// varints are protozero's; a test checks the bytes against its nested
// writers.
std::string encode_write_request(std::span<const TimedSample> samples) {
    std::string out;
    out.resize(encode_write_request(samples, out));
    return out;
}

namespace {

// About what a request's bytes come to (a label pair's framing takes 6
// bytes where its label set had 2 NULs; a sample 19 or so): the buffer is
// sized once to this, and grows only past it.
size_t estimated_bytes(std::span<const TimedSample> samples) noexcept {
    size_t bytes = 0;
    for (const TimedSample& t : samples) bytes += t.labels.size() + t.labels.size() / 4 + 32;
    return bytes;
}

char* put_series(char* p, const TimedSample& t, size_t size,
                 std::span<const std::pair<std::string_view, std::string_view>> labels) noexcept {
    using protozero::pbf_wire_type;
    p = put_length(p, request_timeseries, size);
    for (const auto& [n, v] : labels) {
        p = put_length(p, series_labels, label_bytes(n, v));
        p = put_bytes(p, label_name, n);
        p = put_bytes(p, label_value, v);
    }
    p = put_length(p, series_samples, sample_bytes(t.timestamp_ms));
    *p++ = key(sample_value, pbf_wire_type::fixed64);
    const uint64_t bits = std::bit_cast<uint64_t>(t.value);
    for (int b = 0; b < 8; ++b) *p++ = char(bits >> (8 * b));  // little-endian, as the wire is
    *p++ = key(sample_timestamp, pbf_wire_type::varint);
    return p + protozero::add_varint_to_buffer(p, uint64_t(t.timestamp_ms));  // int64: two's complement
}

}  // namespace

size_t encode_write_request(std::span<const TimedSample> samples, std::string& out) {
    if (out.size() < estimated_bytes(samples)) out.resize(estimated_bytes(samples));
    std::vector<std::pair<std::string_view, std::string_view>> labels;  // one series', reused
    size_t at = 0;
    for (const TimedSample& t : samples) {
        labels.clear();
        size_t series = field_bytes(sample_bytes(t.timestamp_ms));
        prom::for_each_label(t.labels, [&](std::string_view n, std::string_view v) {
            labels.emplace_back(n, v);
            series += field_bytes(label_bytes(n, v));
        });
        const size_t end = at + field_bytes(series);
        if (out.size() < end) out.resize(std::max(end, 2 * out.size()));
        at = size_t(put_series(out.data() + at, t, series, labels) - out.data());
    }
    return at;
}

std::string snappy_compress(const std::string& raw) {
    std::string scratch;
    return snappy_compress(raw, scratch);
}

std::string snappy_compress(std::string_view raw, std::string& scratch) {
    const size_t worst = snappy::MaxCompressedLength(raw.size());
    if (scratch.size() < worst) scratch.resize(worst);
    size_t n = 0;
    snappy::RawCompress(raw.data(), raw.size(), scratch.data(), &n);
    return std::string(scratch.data(), n);
}

bool snappy_uncompress(const std::string& compressed, std::string& raw) {
    return snappy::Uncompress(compressed.data(), compressed.size(), &raw);
}

}  // namespace mmwatch::push
