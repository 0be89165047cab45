// Prometheus remote-write 1.0 in: a snappy-compressed WriteRequest
// (prometheus/prompb/remote.proto, types.proto) read with protozero into
// the store's appends. Pure functions over bytes; the HTTP glue hands in
// the body and turns the result into a status.
//
// Bounded like OTLP input: the body after decompression (its length is
// read from snappy's header before anything is allocated), series per
// request, labels per series and their sizes, and the store's own caps
// and memory budget. The message is checked whole before any sample is
// stored, so a malformed request stores nothing. A sample the store
// refuses (out of order, duplicate, over budget) is counted by reason and
// the rest of the request goes on.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "history/labels.hpp"
#include "history/sample.hpp"

namespace mmwatch::history {

class Store;

enum class WriteError : uint8_t {
    none,
    body_too_large,       // decompressed size over the cap (HTTP 413)
    bad_snappy,           // not a snappy block
    malformed_protobuf,   // truncated, bad wire type, a length past the end
    too_many_series,      // more TimeSeries than a request may carry
};
inline constexpr size_t kWriteErrorCount = 5;
[[nodiscard]] std::string_view write_error_name(WriteError e) noexcept;
[[nodiscard]] std::string_view write_error_message(WriteError e) noexcept;

// One TimeSeries as sent: labels (views into the body) and its samples.
class WriteRequestVisitor {
public:
    virtual void series(std::span<const LabelView> labels, std::span<const Sample> samples,
                        uint32_t histograms) = 0;

protected:
    ~WriteRequestVisitor() = default;
};

// Buffers reused between requests (the decompressed body, one series'
// labels and samples).
struct WriteScratch {
    std::string body;
    std::vector<LabelView> labels;
    std::vector<Sample> samples;
    // Gives back memory past what a typical request needs.
    void trim();
};

// snappy block format into `out`; body_too_large if it would exceed
// `max_bytes`, bad_snappy if it is not valid.
[[nodiscard]] WriteError snappy_uncompress_bounded(std::string_view compressed, size_t max_bytes, std::string& out);

// Checks a whole (uncompressed) WriteRequest, then hands each TimeSeries to
// `visitor` in order. Metadata and exemplars are skipped; native histograms
// are counted per series and not stored.
[[nodiscard]] WriteError walk_write_request(std::string_view proto, size_t max_series, WriteScratch& scratch,
                                            WriteRequestVisitor& visitor);

struct WriteLimits {
    size_t max_body_bytes = 0;  // after decompression
    size_t max_series = 0;      // TimeSeries per request
};

// What one request did, for the HTTP answer and the counters.
struct WriteResult {
    WriteError error = WriteError::none;
    uint64_t series = 0;
    uint64_t samples = 0;     // in the request
    uint64_t appended = 0;    // stored
    uint64_t refused = 0;     // by the store, counted there by reason
    uint64_t histograms = 0;  // native histogram samples, not stored
    uint64_t bad_series = 0;  // series refused for their labels (their samples are in `refused`)
};

// Totals over every request, for the self-metrics.
struct RemoteWriteCounters {
    uint64_t requests[kWriteErrorCount] = {};  // by outcome ("none": accepted)
    uint64_t samples = 0;
    uint64_t appended = 0;
    uint64_t histograms = 0;
    uint64_t bad_series = 0;
    void add(const WriteResult& r) noexcept {
        ++requests[size_t(r.error)];
        samples += r.samples;
        appended += r.appended;
        histograms += r.histograms;
        bad_series += r.bad_series;
    }
};

// The whole path: decompress, check, append into `store`.
[[nodiscard]] WriteResult receive_write_request(std::string_view snappy_body, const WriteLimits& limits, Store& store,
                                                WriteScratch& scratch);

}  // namespace mmwatch::history
