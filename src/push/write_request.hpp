// Prometheus remote_write 1.0: a WriteRequest protobuf (encoded with
// protozero) compressed with snappy's block format.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "prom/samples.hpp"

namespace mmwatch::push {

// One sample as sent: labels as in prom::Sample (a view into whoever
// holds them: a SampleBatch), its value and time.
struct TimedSample {
    std::string_view labels;
    double value;
    int64_t timestamp_ms;
};

// WriteRequest{timeseries: one per sample, one sample each}.
[[nodiscard]] std::string encode_write_request(std::span<const TimedSample> samples);
// snappy block compression of `raw`.
[[nodiscard]] std::string snappy_compress(const std::string& raw);
[[nodiscard]] bool snappy_uncompress(const std::string& compressed, std::string& raw);

}  // namespace mmwatch::push
