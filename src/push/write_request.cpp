#include "push/write_request.hpp"

#include <snappy.h>

#include <protozero/pbf_writer.hpp>

namespace mmwatch::push {

namespace {
// prometheus/prompb/remote.proto and types.proto.
enum : uint32_t { request_timeseries = 1 };
enum : uint32_t { series_labels = 1, series_samples = 2 };
enum : uint32_t { label_name = 1, label_value = 2 };
enum : uint32_t { sample_value = 1, sample_timestamp = 2 };
}  // namespace

std::string encode_write_request(std::span<const TimedSample> samples) {
    std::string out;
    protozero::pbf_writer req(out);
    for (const TimedSample& t : samples) {
        protozero::pbf_writer ts(req, request_timeseries);
        for_each_label(t.sample->labels, [&](std::string_view n, std::string_view v) {
            protozero::pbf_writer l(ts, series_labels);
            l.add_string(label_name, n.data(), n.size());
            l.add_string(label_value, v.data(), v.size());
        });
        protozero::pbf_writer s(ts, series_samples);
        s.add_double(sample_value, t.sample->value);
        s.add_int64(sample_timestamp, t.timestamp_ms);
    }
    return out;
}

std::string snappy_compress(const std::string& raw) {
    std::string out;
    snappy::Compress(raw.data(), raw.size(), &out);
    return out;
}

bool snappy_uncompress(const std::string& compressed, std::string& raw) {
    return snappy::Uncompress(compressed.data(), compressed.size(), &raw);
}

}  // namespace mmwatch::push
