// Hand-built OTLP protobuf wire bytes for the tests, with protozero's
// writer: each function returns one message's bytes, so a test reads as the
// message it sends. Field numbers are opentelemetry-proto's.
#pragma once

#include <protozero/pbf_writer.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace mmwatch::test::pb {

using protozero::pbf_writer;

inline std::string message(std::initializer_list<std::pair<uint32_t, std::string>> fields) {
    std::string out;
    pbf_writer w(out);
    for (const auto& [tag, bytes] : fields) w.add_bytes(tag, bytes);
    return out;
}

// AnyValue.
inline std::string any_string(std::string_view s) { return message({{1, std::string(s)}}); }
inline std::string any_bytes(std::string_view s) { return message({{7, std::string(s)}}); }
inline std::string any_bool(bool b) {
    std::string out;
    pbf_writer(out).add_bool(2, b);
    return out;
}
inline std::string any_int(int64_t v) {
    std::string out;
    pbf_writer(out).add_int64(3, v);
    return out;
}
inline std::string any_double(double v) {
    std::string out;
    pbf_writer(out).add_double(4, v);
    return out;
}
inline std::string kv(std::string_view key, const std::string& any) { return message({{1, std::string(key)}, {2, any}}); }
inline std::string any_array(std::initializer_list<std::string> values) {
    std::string list;
    pbf_writer w(list);
    for (const std::string& v : values) w.add_bytes(1, v);
    return message({{5, list}});
}
inline std::string any_kvlist(std::initializer_list<std::string> kvs) {
    std::string list;
    pbf_writer w(list);
    for (const std::string& v : kvs) w.add_bytes(1, v);
    return message({{6, list}});
}

// Appends the KeyValues as repeated field `tag`.
inline void attrs(pbf_writer& w, uint32_t tag, const std::vector<std::string>& kvs) {
    for (const std::string& a : kvs) w.add_bytes(tag, a);
}

// A NumberDataPoint with as_double (4), or as_int (6, sfixed64) when `as_int`.
inline std::string number_point(const std::vector<std::string>& attributes, uint64_t t_ns, double v,
                                bool as_int = false) {
    std::string out;
    pbf_writer w(out);
    attrs(w, 7, attributes);
    w.add_fixed64(3, t_ns);
    if (as_int) w.add_sfixed64(6, int64_t(v));
    else w.add_double(4, v);
    return out;
}

inline std::string int_point(const std::vector<std::string>& attributes, uint64_t t_ns, int64_t v) {
    return number_point(attributes, t_ns, double(v), true);
}

inline std::string histogram_point(const std::vector<std::string>& attributes, uint64_t t_ns, uint64_t count,
                                   double sum, const std::vector<uint64_t>& counts, const std::vector<double>& bounds,
                                   bool packed = true) {
    std::string out;
    pbf_writer w(out);
    attrs(w, 9, attributes);
    w.add_fixed64(2, t_ns - 1'000'000'000);
    w.add_fixed64(3, t_ns);
    w.add_fixed64(4, count);
    w.add_double(5, sum);
    if (packed) {
        w.add_packed_fixed64(6, counts.begin(), counts.end());
        w.add_packed_double(7, bounds.begin(), bounds.end());
    } else {
        for (uint64_t c : counts) w.add_fixed64(6, c);
        for (double b : bounds) w.add_double(7, b);
    }
    return out;
}

inline std::string buckets(int32_t offset, const std::vector<uint64_t>& counts) {
    std::string out;
    pbf_writer w(out);
    w.add_sint32(1, offset);
    w.add_packed_uint64(2, counts.begin(), counts.end());
    return out;
}

inline std::string exponential_point(uint64_t t_ns, int32_t scale, uint64_t zero_count, double zero_threshold,
                                     int32_t pos_offset, const std::vector<uint64_t>& pos, int32_t neg_offset,
                                     const std::vector<uint64_t>& neg, double sum, double min, double max) {
    uint64_t count = zero_count;
    for (uint64_t c : pos) count += c;
    for (uint64_t c : neg) count += c;
    std::string out;
    pbf_writer w(out);
    w.add_fixed64(3, t_ns);
    w.add_fixed64(4, count);
    w.add_double(5, sum);
    w.add_sint32(6, scale);
    w.add_fixed64(7, zero_count);
    w.add_bytes(8, buckets(pos_offset, pos));
    w.add_bytes(9, buckets(neg_offset, neg));
    w.add_double(12, min);
    w.add_double(13, max);
    w.add_double(14, zero_threshold);
    return out;
}

inline std::string summary_point(uint64_t t_ns, uint64_t count, double sum,
                                 const std::vector<std::pair<double, double>>& quantiles) {
    std::string out;
    pbf_writer w(out);
    w.add_fixed64(3, t_ns);
    w.add_fixed64(4, count);
    w.add_double(5, sum);
    for (const auto& [q, v] : quantiles) {
        std::string qv;
        pbf_writer x(qv);
        x.add_double(1, q);
        x.add_double(2, v);
        w.add_bytes(6, qv);
    }
    return out;
}

// Gauge (5), Sum (7), Histogram (9), ExponentialHistogram (10), Summary (11).
enum Kind : uint32_t { gauge = 5, sum = 7, histogram = 9, exponential = 10, summary = 11 };

inline std::string metric(std::string_view name, Kind kind, const std::vector<std::string>& points,
                          int temporality = 2, bool monotonic = true, std::string_view unit = "",
                          std::string_view description = "") {
    std::string data;
    pbf_writer d(data);
    for (const std::string& p : points) d.add_bytes(1, p);
    if (kind != gauge && kind != summary) d.add_enum(2, temporality);
    if (kind == sum) d.add_bool(3, monotonic);
    std::string out;
    pbf_writer w(out);
    w.add_string(1, std::string(name));
    if (!description.empty()) w.add_string(2, std::string(description));
    if (!unit.empty()) w.add_string(3, std::string(unit));
    w.add_bytes(kind, data);
    return out;
}

// ExportMetricsServiceRequest with one resource (service.name) and scope.
inline std::string request(const std::vector<std::string>& metrics, std::string_view service = "checkout") {
    std::string resource;
    pbf_writer r(resource);
    r.add_bytes(1, kv("service.name", any_string(service)));
    std::string scope = message({{1, "test.scope"}, {2, "1.2"}});
    std::string sm;
    pbf_writer s(sm);
    s.add_bytes(1, scope);
    for (const std::string& m : metrics) s.add_bytes(2, m);
    std::string rm;
    pbf_writer x(rm);
    x.add_bytes(1, resource);
    x.add_bytes(2, sm);
    return message({{1, rm}});
}

}  // namespace mmwatch::test::pb
