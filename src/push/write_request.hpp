// Prometheus remote_write 1.0: a WriteRequest protobuf (encoded with
// protozero) compressed with snappy's block format.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "push/collector.hpp"

namespace mmwatch::push {

// The value Prometheus writes to mark a series stale.
inline constexpr uint64_t kStaleNaN = 0x7ff0000000000002ull;

// One sample as sent: labels as in Sample (a view into whoever holds
// them: a collector's arena, a SeriesSet), its value and time.
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
