// Prometheus remote_write 1.0: a WriteRequest protobuf (encoded with
// protozero) compressed with snappy's block format.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "prom/samples.hpp"

namespace mmwatch::push {

// Samples per WriteRequest (Prometheus sends up to 2,000 by default; larger
// batches cost fewer requests, smaller ones less to resend).
inline constexpr size_t kMaxBatchSamples = 5'000;
// Label bytes per WriteRequest before compression, at most: long OTLP
// labels make big samples, and receivers cap request sizes (Mimir: 10 MiB
// after decompression by default).
inline constexpr size_t kMaxBatchBytes = 4u << 20;

// One sample as sent: labels as in prom::Sample (a view into whoever
// holds them: a SampleBatch), its value and time.
struct TimedSample {
    std::string_view labels;
    double value;
    int64_t timestamp_ms;
};

// One compressed WriteRequest as sent and how many samples it holds.
struct Request {
    std::string body;
    size_t samples = 0;
};

// WriteRequest{timeseries: one per sample, one sample each}.
[[nodiscard]] std::string encode_write_request(std::span<const TimedSample> samples);
// The same into `out`'s first bytes (their count returned): `out` only
// grows, so a buffer reused across requests is not zero-filled again.
size_t encode_write_request(std::span<const TimedSample> samples, std::string& out);
// snappy block compression of `raw`.
[[nodiscard]] std::string snappy_compress(const std::string& raw);
// The same through `scratch` (grown to snappy's worst case once, never
// shrunk): the result is exactly the compressed size.
[[nodiscard]] std::string snappy_compress(std::string_view raw, std::string& scratch);
[[nodiscard]] bool snappy_uncompress(const std::string& compressed, std::string& raw);

}  // namespace mmwatch::push
